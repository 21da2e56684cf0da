"""Gemini through `google-genai` (`generate_content` with a system instruction and a generation config).

Gemini returns log-probabilities of generated tokens only (`response_logprobs`, which many models reject),
so the likelihood of a reference cannot be measured: perplexity is recorded as unsupported.
"""

from __future__ import annotations

from typing import Any

from ..checkpoints import Checkpoint
from ..providers.clients import gemini_client
from ..providers.keys import DEFAULT_KEY_ENV
from ..providers.responses import parse_gemini
from ..providers.session import Usage
from ..registry import BackendEntry
from .base import Request
from .context import BackendContext
from .remote import RemoteBackend, preflight


class GeminiBackend(RemoteBackend):
    name = "gemini"
    supports_loglikelihood = False
    unsupported_reason = (
        "Gemini returns log-probabilities of generated tokens only; the likelihood of the "
        "reference text cannot be measured"
    )
    generate_endpoint = "generateContent"

    def __init__(self, checkpoint: Checkpoint, context: BackendContext | None = None) -> None:
        super().__init__(checkpoint, context)
        from google.genai import types

        g = checkpoint.generation
        self._types = types
        self._base_config = dict(
            temperature=g.temperature,
            top_p=g.top_p,
            max_output_tokens=g.max_tokens,
            stop_sequences=list(g.stop) or None,
        )

    def _make_client(self) -> Any:
        assert self.api_key is not None
        return gemini_client(api_key=self.api_key, base_url=self.checkpoint.base_url, timeout_s=self.settings.timeout_s)

    async def _aclose_client(self, client: Any) -> None:
        await client.aio.aclose()
        client.close()

    async def _generate_one(self, client: Any, request: Request) -> tuple[str, Usage]:
        config = self._types.GenerateContentConfig(system_instruction=self.system_text(request), **self._base_config)
        response = await client.aio.models.generate_content(
            model=self.checkpoint.model, contents=self.user_text(request), config=config
        )
        return parse_gemini(response)


def _build(checkpoint: Checkpoint, context: BackendContext) -> GeminiBackend:
    return GeminiBackend(checkpoint, context)


ENTRY = BackendEntry(
    name="gemini",
    description="Google Gemini through google-genai (generate_content with a system instruction)",
    factory=_build,
    external=True,
    key_variables=DEFAULT_KEY_ENV["gemini"],
    preflight=preflight,
    loglikelihood_unsupported=lambda checkpoint: GeminiBackend.unsupported_reason,
)
