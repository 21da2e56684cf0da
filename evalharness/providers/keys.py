"""API keys: read from the environment only, held in a `Secret` that never prints, scrubbed from text.

A key is looked up when a run (or a judge, or a chat) is about to start, so a missing one stops
everything before the first request, with the name of the variable to set. Every key that is read is
remembered, and `scrub()` replaces it in any text that might be stored, logged or shown — SDK error
messages sometimes echo what was sent.
"""

from __future__ import annotations

import os
import re
import threading

from ..errors import MissingCredentialError

#: provider → environment variables tried in order
DEFAULT_KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
}
#: sent to servers that ignore keys (a local vLLM or Ollama); the openai SDK refuses an empty key
NO_KEY = "no-key-needed"
REDACTED = "[redacted]"

_known: set[str] = set()
_lock = threading.Lock()
# Authorization headers and key-looking query parameters, whatever their value.
_PATTERNS = (
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?bearer\s+)[^\s\"',}]+"),
    re.compile(r"(?i)(x-goog-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"(?i)([?&]key=)[^&\s\"']+"),
    re.compile(r"(?i)(\bbearer\s+)(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}"),
)


class Secret:
    """A key. `str()`/`repr()` show a mask; only `reveal()` gives the value, and only the SDK client needs it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source  # the variable it came from — safe to show
        remember(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(from {self.source})"

    __str__ = __repr__


def remember(value: str) -> None:
    """Add a value to what `scrub()` removes. Short values are ignored (they would mangle ordinary text)."""
    if value and len(value) >= 8 and value != NO_KEY:
        with _lock:
            _known.add(value)


def scrub(text: str | None) -> str | None:
    """Remove every known key, bearer token and key query parameter from `text`."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def key_env_names(provider: str, api_key_env: str | None = None) -> tuple[str, ...]:
    """The variables to try: the manifest's `api_key_env` if given, else the provider's usual names."""
    if api_key_env:
        return (api_key_env,)
    return DEFAULT_KEY_ENV.get(provider, ())


def resolve_api_key(provider: str, api_key_env: str | None = None, *, required: bool = True) -> Secret | None:
    """The key for `provider` from the environment.

    Raises MissingCredentialError naming the variable(s) when `required` and none is set. For
    `openai_compatible` servers without `api_key_env`, no key is needed and None is returned.
    """
    names = key_env_names(provider, api_key_env)
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return Secret(value, name)
    if not required or not names:
        return None
    wanted = " or ".join(names)
    raise MissingCredentialError(
        f"{provider} needs an API key and {wanted} is not set. Export it in the environment that runs "
        f"evalharness (e.g. `export {names[0]}=...`, or a CI secret), or name another variable with "
        f"api_key_env in the checkpoint manifest. Nothing was sent."
    )
