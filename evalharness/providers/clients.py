"""SDK clients built one way everywhere: our timeout, the SDK's own retries off (we retry, once, in
`session`), keys passed explicitly (never read by the SDK from the environment behind our back), and no
proxy from the environment for a loopback server (see `hosts.trust_env`)."""

from __future__ import annotations

from typing import Any

from .hosts import trust_env
from .keys import NO_KEY, Secret


def openai_client(
    *, api_key: Secret | None, base_url: str | None = None, timeout_s: float = 60.0, max_connections: int = 1000
) -> Any:
    """An `openai.AsyncOpenAI` for OpenAI itself (base_url None) or any OpenAI-compatible server."""
    import httpx2
    import openai

    http_client = openai.DefaultAsyncHttpxClient(
        timeout=httpx2.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
        trust_env=trust_env(base_url),
        limits=httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    )
    return openai.AsyncOpenAI(
        api_key=api_key.reveal() if api_key else NO_KEY,
        base_url=base_url,
        timeout=timeout_s,
        max_retries=0,
        http_client=http_client,
    )


def gemini_client(*, api_key: Secret, base_url: str | None = None, timeout_s: float = 60.0) -> Any:
    """A `google.genai.Client` (use `.aio` for async calls). Keep it in a variable: a temporary is closed."""
    from google import genai
    from google.genai import types

    direct = {"trust_env": False} if not trust_env(base_url) else None
    options = types.HttpOptions(
        base_url=base_url, timeout=int(timeout_s * 1000), client_args=direct, async_client_args=direct
    )
    return genai.Client(api_key=api_key.reveal(), http_options=options)
