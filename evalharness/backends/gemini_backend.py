"""Gemini through `google-genai` (`generate_content` with a system instruction and a generation config).

Gemini returns log-probabilities of generated tokens only (`response_logprobs`, which many models reject),
so the likelihood of a reference cannot be measured: perplexity is recorded as unsupported.
"""

from __future__ import annotations

from typing import Any

from ..checkpoints import Checkpoint
from ..providers.clients import gemini_client
from ..providers.failures import ItemRefused, MalformedResponse
from ..providers.session import Usage
from .base import Request
from .remote import BackendContext, RemoteBackend

#: finish reasons that mean "the provider withheld the answer" rather than "something broke"
_REFUSALS = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"}


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


def parse_gemini(response: Any) -> tuple[str, Usage]:
    candidates = getattr(response, "candidates", None)
    if not candidates:
        feedback = getattr(response, "prompt_feedback", None)
        block = getattr(feedback, "block_reason", None)
        if block:
            raise ItemRefused(f"Gemini blocked the prompt ({getattr(block, 'value', block)})")
        raise MalformedResponse("no candidates in the Gemini response")
    finish = getattr(candidates[0], "finish_reason", None)
    finish_name = getattr(finish, "value", finish)
    if finish_name in _REFUSALS:
        raise ItemRefused(f"Gemini withheld the answer (finish reason {finish_name})")
    parts = getattr(getattr(candidates[0], "content", None), "parts", None) or []
    texts = [p.text for p in parts if isinstance(getattr(p, "text", None), str) and not getattr(p, "thought", False)]
    if not texts:
        raise MalformedResponse(f"the Gemini candidate has no text (finish reason {finish_name})")
    meta = getattr(response, "usage_metadata", None)
    completion = getattr(meta, "candidates_token_count", None)
    thoughts = getattr(meta, "thoughts_token_count", None)  # billed as output
    if completion is not None and thoughts:
        completion += thoughts
    return "".join(texts), Usage(getattr(meta, "prompt_token_count", None), completion)
