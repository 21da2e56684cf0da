"""The Gemini key: read from the environment only, and kept out of every message we print or log."""

from __future__ import annotations

import os

KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY")


def api_key_from_env() -> tuple[str | None, str | None]:
    """(key, variable name); GOOGLE_API_KEY wins when both are set, as in the SDK. Blank counts as unset."""
    for name in KEY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value, name
    return None, None


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every occurrence of each secret replaced — for error messages that quote a server's reply."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
