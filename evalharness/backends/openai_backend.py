"""OpenAI chat completions — OpenAI itself (any model id, fine-tunes such as `ft:gpt-4.1-…:org::id`) and any
OpenAI-compatible server (vLLM, Ollama, llama.cpp server, LM Studio) at a `base_url`.

Log-likelihood: chat models return log-probabilities of *generated* tokens only, so the perplexity of a
given reference cannot be measured through chat. A server whose `/v1/completions` echoes the prompt with
its log-probabilities (vLLM does) can: mark it `completions_logprobs = true` in the manifest. We send
`rendered prompt + reference` with `echo=true, logprobs=1, max_tokens=1` and sum the log-probabilities of
the tokens that cover the reference, found by their character offsets (`text_offset`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..checkpoints import Checkpoint
from ..errors import InputError
from ..providers.clients import openai_client
from ..providers.failures import MalformedResponse, Unusable
from ..providers.keys import DEFAULT_KEY_ENV
from ..providers.responses import chat_logprobs, chat_usage, parse_chat
from ..providers.session import Usage
from ..registry import BackendEntry
from .base import LogLikelihood, Reply, Request
from .context import BackendContext
from .remote import RemoteBackend, preflight


def loglikelihood_unsupported(checkpoint: Checkpoint) -> str | None:
    """Chat models give log-probabilities of generated tokens only; a compatible server marked
    `completions_logprobs` (vLLM) scores a given text through /v1/completions with echo."""
    if checkpoint.backend == "openai":
        return (
            "OpenAI chat models return log-probabilities of generated tokens only; the "
            "likelihood of the reference text cannot be measured"
        )
    if not checkpoint.completions_logprobs:
        return (
            f"the server at {checkpoint.base_url} is not marked completions_logprobs = true "
            "in the manifest (set it for servers such as vLLM whose /v1/completions "
            "returns prompt log-probabilities with echo=true)"
        )
    return None


class OpenAIBackend(RemoteBackend):
    generate_endpoint = "chat.completions"
    loglikelihood_endpoint = "completions"

    def __init__(self, checkpoint: Checkpoint, context: BackendContext | None = None) -> None:
        self.name = checkpoint.backend
        self.compatible = checkpoint.backend == "openai_compatible"
        self.unsupported_reason = loglikelihood_unsupported(checkpoint)
        self.supports_loglikelihood = self.unsupported_reason is None
        super().__init__(checkpoint, context)

    def _make_client(self) -> Any:
        return openai_client(
            api_key=self.api_key,
            base_url=self.checkpoint.base_url,
            timeout_s=self.settings.timeout_s,
            max_connections=max(self.settings.concurrency or self.context.concurrency, 1) + 4,
        )

    def _generation_kwargs(self) -> dict[str, Any]:
        g = self.checkpoint.generation
        kwargs: dict[str, Any] = {"temperature": g.temperature, "top_p": g.top_p}
        # OpenAI's newer models take max_completion_tokens only; compatible servers all know max_tokens.
        kwargs["max_tokens" if self.compatible else "max_completion_tokens"] = g.max_tokens
        if g.stop:
            kwargs["stop"] = g.stop
        if self.compatible and g.repetition_penalty != 1.0:
            kwargs["extra_body"] = {"repetition_penalty": g.repetition_penalty}
        return kwargs

    async def _generate_one(self, client: Any, request: Request) -> tuple[str | Reply, Usage]:
        messages = []
        system = self.system_text(request)
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": self.user_text(request)})
        kwargs = self._generation_kwargs()
        if self.context.want_logprobs:
            kwargs["logprobs"] = True
        response = await client.chat.completions.create(model=self.checkpoint.model, messages=messages, **kwargs)
        text, usage = parse_chat(response)
        if not self.context.want_logprobs:
            return text, usage
        total, count = chat_logprobs(response)
        return Reply(text, total, count), usage

    async def _loglikelihood_one(self, client: Any, request: Request) -> tuple[LogLikelihood, Usage]:
        context = self.user_text(request)
        reference = request.reference or ""
        if not reference:
            raise Unusable("the item has no reference text to score")
        response = await client.completions.create(
            model=self.checkpoint.model,
            prompt=context + reference,
            echo=True,
            logprobs=1,
            max_tokens=1,
            temperature=0.0,
        )
        return parse_echo_logprobs(response, request.item_id, context, reference)


def parse_echo_logprobs(response: Any, item_id: str, context: str, reference: str) -> tuple[LogLikelihood, Usage]:
    """Sum the log-probabilities of the tokens that cover `reference` in an echoed completion.

    A token covers the reference when its character span [offset, next offset) overlaps
    [len(context), len(context) + len(reference)). A token that straddles the boundary (a tokenizer that
    merges the context's last character with the reference's first) is counted, so every character of the
    reference is predicted by some counted token; the one generated token after the echo is not.
    """
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse("no choices in the completion")
    choice = choices[0]
    lp = getattr(choice, "logprobs", None)
    offsets = getattr(lp, "text_offset", None)
    values = getattr(lp, "token_logprobs", None)
    tokens = getattr(lp, "tokens", None)
    if not offsets or values is None or tokens is None:
        raise Unusable(
            "the server returned no prompt log-probabilities (text_offset/token_logprobs) with "
            "echo=true; set completions_logprobs = false for this server"
        )
    if not (len(offsets) == len(values) == len(tokens)):
        raise MalformedResponse("tokens, token_logprobs and text_offset differ in length")
    text = getattr(choice, "text", None)
    full = context + reference
    if isinstance(text, str) and not text.startswith(full):
        raise Unusable("the server did not echo the prompt verbatim, so character offsets cannot be matched")
    start, end = len(context), len(full)
    nats = 0.0
    counted = 0
    for i, (offset, value, token) in enumerate(zip(offsets, values, tokens, strict=True)):
        token_end = offsets[i + 1] if i + 1 < len(offsets) else offset + len(token)
        if offset >= end or token_end <= start:
            continue
        if value is None:
            raise Unusable(
                "the server gave no log-probability for the reference's first token (its context is "
                "empty); use a prompt_format that puts text before the reference"
            )
        nats += float(value)
        counted += 1
    if counted == 0:
        raise MalformedResponse("no returned token covers the reference text")
    return (
        LogLikelihood(
            item_id=item_id,
            status="ok",
            nats=nats,
            tokens=counted,
            chars=len(reference),
            bytes=len(reference.encode("utf-8")),
        ),
        chat_usage(response),
    )


def _build(checkpoint: Checkpoint, context: BackendContext) -> OpenAIBackend:
    return OpenAIBackend(checkpoint, context)


def _check_compatible(checkpoint: Checkpoint, path: Path) -> None:
    if not checkpoint.base_url:
        raise InputError(
            "openai_compatible checkpoints need base_url (e.g. http://localhost:8000/v1)", path=path, field="base_url"
        )


OPENAI = BackendEntry(
    name="openai",
    description="OpenAI chat completions: any model id, fine-tunes such as ft:gpt-4.1-…",
    factory=_build,
    external=True,
    key_variables=DEFAULT_KEY_ENV["openai"],
    preflight=preflight,
    loglikelihood_unsupported=loglikelihood_unsupported,
)

OPENAI_COMPATIBLE = BackendEntry(
    name="openai_compatible",
    description="any OpenAI-compatible server at base_url (vLLM, Ollama, llama.cpp server, LM Studio)",
    factory=_build,
    external=True,
    check_manifest=_check_compatible,
    preflight=preflight,
    # the server is part of what answers: the same model id elsewhere is another model
    identity_parts=lambda checkpoint: {"base_url": checkpoint.base_url},
    loglikelihood_unsupported=loglikelihood_unsupported,
)
