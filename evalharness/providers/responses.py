"""One parser per provider's responses, shared by the backends, the judge and the reviewer.

Each turns an SDK response into (text, Usage) or raises what the retry loop understands: `ItemRefused` (the
provider withheld the answer — not retried) or `MalformedResponse` (retried). Usage counts what is billed:
Gemini bills thinking tokens as output, so they are part of `completion_tokens` everywhere — a cost that left
them out would be under-reported.
"""

from __future__ import annotations

from typing import Any

from .failures import ItemRefused, MalformedResponse
from .session import Usage

#: Gemini finish reasons that mean "the provider withheld the answer" rather than "something broke"
GEMINI_REFUSALS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"}
)


# -- Gemini (google-genai GenerateContentResponse, whole or one streamed chunk) -----------------------------
def gemini_usage(response: Any) -> Usage:
    """Prompt tokens, and output tokens including the model's thinking tokens (billed as output)."""
    meta = getattr(response, "usage_metadata", None)
    if meta is None:
        return Usage()
    completion = getattr(meta, "candidates_token_count", None)
    thoughts = getattr(meta, "thoughts_token_count", None)
    if thoughts:
        completion = (completion or 0) + thoughts
    return Usage(getattr(meta, "prompt_token_count", None), completion)


def gemini_finish_reason(response: Any) -> str | None:
    candidates = getattr(response, "candidates", None)
    if not candidates:
        return None
    finish = getattr(candidates[0], "finish_reason", None)
    return None if finish is None else str(getattr(finish, "value", finish))


def gemini_chunk_text(response: Any) -> str:
    """The text parts of a response or streamed chunk, thought parts excluded; "" when it has none."""
    candidates = getattr(response, "candidates", None)
    if not candidates:
        return ""
    parts = getattr(getattr(candidates[0], "content", None), "parts", None) or []
    return "".join(
        p.text for p in parts if isinstance(getattr(p, "text", None), str) and not getattr(p, "thought", False)
    )


def parse_gemini(response: Any, *, allow_empty: bool = False) -> tuple[str, Usage]:
    """The answer text and usage of a `generate_content` response.

    A blocked prompt or a withheld answer raises ItemRefused; no candidate, or (unless `allow_empty`) no text,
    raises MalformedResponse. `allow_empty` is for callers that judge the text themselves (the judge's verdict
    parser calls an empty answer invalid and asks again)."""
    candidates = getattr(response, "candidates", None)
    if not candidates:
        feedback = getattr(response, "prompt_feedback", None)
        block = getattr(feedback, "block_reason", None)
        if block:
            raise ItemRefused(f"Gemini blocked the prompt ({getattr(block, 'value', block)})")
        raise MalformedResponse("no candidates in the Gemini response")
    finish = gemini_finish_reason(response)
    if finish in GEMINI_REFUSALS:
        raise ItemRefused(f"Gemini withheld the answer (finish reason {finish})")
    parts = getattr(getattr(candidates[0], "content", None), "parts", None) or []
    has_text = any(isinstance(getattr(p, "text", None), str) and not getattr(p, "thought", False) for p in parts)
    if not has_text and not allow_empty:
        raise MalformedResponse(f"the Gemini candidate has no text (finish reason {finish})")
    return gemini_chunk_text(response), gemini_usage(response)


# -- OpenAI chat completions (OpenAI itself and compatible servers) -------------------------------------------
def chat_usage(response: Any) -> Usage:
    usage = getattr(response, "usage", None)
    if usage is None:
        return Usage()
    return Usage(getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None))


def parse_chat(response: Any, *, allow_empty: bool = False) -> tuple[str, Usage]:
    """The reply text and usage of a chat completion; a refusal raises ItemRefused, a reply without choices
    (or, unless `allow_empty`, without text) MalformedResponse."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse("no choices in the chat completion")
    choice = choices[0]
    message = getattr(choice, "message", None)
    content = getattr(message, "content", None)
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise ItemRefused(f"the model refused: {refusal}")
    if getattr(choice, "finish_reason", None) == "content_filter":
        raise ItemRefused("the reply was withheld by the provider's content filter")
    if not isinstance(content, str):
        if not allow_empty:
            raise MalformedResponse("the chat completion has no message content")
        content = ""
    return content, chat_usage(response)


def chat_logprobs(response: Any) -> tuple[float | None, int | None]:
    """Sum and count of the generated tokens' log-probabilities; (None, None) when the server sent none."""
    choices = getattr(response, "choices", None) or []
    content = getattr(getattr(choices[0], "logprobs", None), "content", None) if choices else None
    if not content:
        return None, None
    values = [getattr(t, "logprob", None) for t in content]
    if any(not isinstance(v, (int, float)) for v in values):
        return None, None
    return float(sum(v for v in values if v is not None)), len(values)
