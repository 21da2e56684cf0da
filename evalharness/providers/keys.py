"""API keys: read from the environment only, held in a `Secret` that never prints, scrubbed from text.

A key is looked up when a run (or a judge, or a chat) is about to start, so a missing one stops
everything before the first request, with the name of the variable to set.

Which variable may be read, and which hosts it may be sent to, is the operator's decision, not a
manifest's: `[keys]` in the config ties each variable to hosts (`OPENAI_API_KEY = ["api.openai.com"]`),
on top of the providers' own defaults. A checkpoint manifest (which may arrive in a pull request) can name
`api_key_env` and `base_url`, but a variable that is not in the allow-list, or a host it is not tied to,
stops the run before the key is even read. Every key that is read is
remembered, and `scrub()` replaces it in any text that might be stored, logged or shown — SDK error
messages sometimes echo what was sent.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping, Sequence

from ..errors import KeyNotAllowedError, MissingCredentialError
from .hosts import host_matches, host_of

#: provider → environment variables tried in order
DEFAULT_KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
}
#: variable → hosts it may be sent to, unless `[keys]` in the config says otherwise for that variable
DEFAULT_KEY_HOSTS: dict[str, tuple[str, ...]] = {
    "OPENAI_API_KEY": ("api.openai.com",),
    "GOOGLE_API_KEY": ("generativelanguage.googleapis.com",),
    "GEMINI_API_KEY": ("generativelanguage.googleapis.com",),
}
#: where each provider's SDK sends requests when no base_url is given (the SDK reads the variable first)
DEFAULT_URLS: dict[str, tuple[str, str]] = {
    "openai": ("OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "gemini": ("GOOGLE_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com"),
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


def effective_url(provider: str, base_url: str | None) -> str | None:
    """Where requests really go: the base_url, else the SDK's own variable or default."""
    if base_url:
        return base_url
    variable, default = DEFAULT_URLS.get(provider, ("", ""))
    return (os.environ.get(variable, "").strip() if variable else "") or default or None


def allowed_hosts(variable: str, key_hosts: Mapping[str, Sequence[str]] | None) -> tuple[str, ...] | None:
    """The hosts `variable` may go to: the config's list for it, else the default; None if not allowed at all."""
    if key_hosts and variable in key_hosts:
        return tuple(key_hosts[variable])
    return DEFAULT_KEY_HOSTS.get(variable)


def check_key_host(variable: str, url: str | None, key_hosts: Mapping[str, Sequence[str]] | None) -> None:
    """Raise KeyNotAllowedError unless the operator tied `variable` to the host of `url`."""
    hosts = allowed_hosts(variable, key_hosts)
    host = host_of(url)
    if hosts is None:
        raise KeyNotAllowedError(
            f"the key variable {variable} is not in the allow-list, so it is not read or sent anywhere. If this "
            f"variable really is meant for {host or 'that server'}, the operator adds it to the config: "
            f'[keys] {variable} = ["{host or "host.example.org"}"]. Nothing was sent.'
        )
    if not any(host_matches(pattern, host) for pattern in hosts):
        raise KeyNotAllowedError(
            f"the key in {variable} may only be sent to {', '.join(hosts)}, not to {host or url!r}. If "
            f"{host or 'that host'} should receive it, the operator adds it in the config: [keys] {variable} = "
            f"[{', '.join(repr(h).replace(chr(39), chr(34)) for h in (*hosts, host))}]. Nothing was sent."
        )


def resolve_api_key(
    provider: str,
    api_key_env: str | None = None,
    *,
    required: bool = True,
    base_url: str | None = None,
    key_hosts: Mapping[str, Sequence[str]] | None = None,
) -> Secret | None:
    """The key for `provider` from the environment — only from a variable the allow-list ties to the host
    the requests will go to (`base_url`, or the provider's default).

    Raises KeyNotAllowedError (before reading the variable) when the variable or the host is not allowed;
    MissingCredentialError naming the variable(s) when `required` and none is set. For `openai_compatible`
    servers without `api_key_env`, no key is needed and None is returned.
    """
    names = key_env_names(provider, api_key_env)
    url = effective_url(provider, base_url)
    if api_key_env:
        check_key_host(api_key_env, url, key_hosts)
    else:
        usable = [n for n in names if os.environ.get(n, "").strip()]
        for name in usable[:1]:  # the variable that would be used must be allowed for this host
            check_key_host(name, url, key_hosts)
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
        f"api_key_env in the checkpoint manifest (and tie it to the server's host under [keys] in the config). "
        f"Nothing was sent."
    )
