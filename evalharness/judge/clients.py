"""Judge clients: one request → the judge's raw answer text, asking for the verdict schema as structured output.

Built on the provider layer (`providers.clients`: SDK retries off, our timeouts, explicit keys); retries,
rate limits and audit happen around these calls in `ProviderSession`. A client only sends and unwraps:
validation of the verdict is `verdict.VerdictParser`'s job, so the same rules hold for every provider.

- Gemini (default): `generate_content` with `response_mime_type="application/json"` and
  `response_json_schema`.
- OpenAI and any OpenAI-compatible server (vLLM, Ollama, llama.cpp): chat completions with
  `response_format={"type": "json_schema", ...}` (strict), or `{"type": "json_object"}` for servers that
  lack json_schema.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..providers.clients import gemini_client, openai_client
from ..providers.keys import Secret
from ..providers.responses import parse_chat, parse_gemini
from ..providers.session import Usage
from .prompt import JudgePrompt
from .settings import JudgeConfig


class JudgeClient(Protocol):
    provider: str
    model: str
    endpoint: str

    async def ask(self, prompt: JudgePrompt, schema: dict[str, Any]) -> tuple[str, Usage]:
        """Send one request; return the answer text. Raise (SDK errors, MalformedResponse, ItemRefused)."""
        ...

    async def aclose(self) -> None: ...


class GeminiJudge:
    endpoint = "generateContent"

    def __init__(self, config: JudgeConfig, api_key: Secret, *, timeout_s: float) -> None:
        self.provider = "gemini"
        self.model = str(config.model)
        self.config = config
        self._client = gemini_client(api_key=api_key, base_url=config.base_url, timeout_s=timeout_s)

    async def ask(self, prompt: JudgePrompt, schema: dict[str, Any]) -> tuple[str, Usage]:
        from google.genai import types

        response = await self._client.aio.models.generate_content(
            model=self.model,
            contents=prompt.user,
            config=types.GenerateContentConfig(
                system_instruction=prompt.system,
                temperature=self.config.temperature,
                max_output_tokens=self.config.max_output_tokens,
                candidate_count=1,
                response_mime_type="application/json",
                response_json_schema=schema,
            ),
        )
        # the shared parser: refusals, and usage with thinking tokens (billed as output) in the cost
        return parse_gemini(response, allow_empty=True)

    async def aclose(self) -> None:
        await self._client.aio.aclose()


class OpenAIJudge:
    endpoint = "chat.completions"

    def __init__(self, config: JudgeConfig, api_key: Secret | None, *, timeout_s: float) -> None:
        self.provider: str = config.provider
        self.model = str(config.model)
        self.config = config
        self._client = openai_client(api_key=api_key, base_url=config.base_url, timeout_s=timeout_s, max_connections=64)

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.config.response_format == "json_object":
            return {"type": "json_object"}
        return {"type": "json_schema", "json_schema": {"name": "cas_verdict", "schema": schema, "strict": True}}

    async def ask(self, prompt: JudgePrompt, schema: dict[str, Any]) -> tuple[str, Usage]:
        response = await self._client.chat.completions.create(
            model=self.model,
            temperature=self.config.temperature,
            max_tokens=self.config.max_output_tokens,
            messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
            response_format=self._response_format(schema),
        )
        return parse_chat(response, allow_empty=True)

    async def aclose(self) -> None:
        await self._client.close()


def make_judge_client(config: JudgeConfig, api_key: Secret | None, *, timeout_s: float) -> JudgeClient:
    """Build the client for `config.provider`. Call inside the event loop that will use it."""
    if config.provider == "gemini":
        assert api_key is not None, "gemini judges need a key (resolved before any client is built)"
        return GeminiJudge(config, api_key, timeout_s=timeout_s)
    return OpenAIJudge(config, api_key, timeout_s=timeout_s)
