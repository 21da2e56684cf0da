"""A conversation with the Gemini reviewer: an opening assessment, then follow-ups that carry the history.

Each turn: rebuild the corpus if a source changed, choose passages for the turn, stream the reply through
`google-genai`, keep the exchange in a bounded history and record the call in the external-call audit. Keys,
the SDK client, retries, failure classification, response parsing and the audit come from the provider layer
(`evalharness.providers`), as for the backends and the judge; the chat adds one rule of its own: a streamed
reply is retried only before its first chunk, so a retry never repeats text.
Without a key, or when the endpoint cannot be reached, the turn is answered from retrieval alone and says
plainly that no model answered.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..config import ReviewerConfig
from ..errors import EvalHarnessError, InputError
from ..providers.clients import gemini_client
from ..providers.failures import Failure, classify, exception_text
from ..providers.keys import Secret, key_env_names, resolve_api_key, scrub
from ..providers.responses import gemini_chunk_text, gemini_finish_reason, gemini_usage
from ..providers.retry import Attempts, RetryPolicy, stream_with_retries
from ..store.review import record_review_call
from .answers import Answer, find_cited, retrieval_only_chunks
from .corpus import Corpus, CorpusBuilder
from .prompt import (
    ASSESSMENT_QUERY,
    ASSESSMENT_REQUEST,
    SYSTEM_INSTRUCTION,
    Turn,
    bounded_history,
    question_text,
    user_message,
)
from .retrieval import Ranked, Retriever, default_retriever

log = logging.getLogger("evalharness.reviewer")

#: what a call to the model may fail with: API errors, transport errors, a malformed or cut-off stream
MODEL_FAILURES = (genai_errors.APIError, httpx2.HTTPError, OSError, ValueError)

_FROM_ENV: Any = object()
#: failures worth another attempt before the first chunk: the endpoint was busy, slow or unreachable. A
#: malformed stream is not asked again (the same request would most likely stream the same thing).
_RETRIED_KINDS = frozenset({"rate_limited", "server_error", "timeout", "connection"})


class Reply:
    """Iterate it for the streamed text chunks (e.g. `st.write_stream(reply)`); when the iteration ends,
    `answer` holds the whole turn with its citations. Iterating again continues the same single stream."""

    def __init__(self, chunks: Callable[[Reply], Iterator[str]]) -> None:
        self._chunks = chunks
        self._iterator: Iterator[str] | None = None
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        if self._iterator is None:
            self._iterator = self._chunks(self)
        return self._iterator

    def result(self) -> Answer:
        """Consume whatever is left of the stream and return the answer."""
        for _ in self:
            pass
        if self.answer is None:  # cannot happen unless a turn forgot to set it
            raise RuntimeError("the reply ended without an answer")
        return self.answer


@dataclass
class ReviewSession:
    """One conversation. Holds the SDK client in an attribute (a temporary client is closed after use)."""

    config: ReviewerConfig
    corpus: CorpusBuilder
    retriever: Retriever = field(default_factory=default_retriever)
    #: the Gemini key; by default read from the environment (GOOGLE_API_KEY, else GEMINI_API_KEY)
    api_key: Secret | str | None = field(default=_FROM_ENV, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    #: `[keys]` from the config: the key is read only for a host its variable is tied to
    key_hosts: Mapping[str, Sequence[str]] | None = field(default=None, repr=False)
    history: list[Turn] = field(default_factory=list)
    _client: genai.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.api_key is _FROM_ENV:
            self.api_key = resolve_api_key(
                "gemini", required=False, base_url=self.config.base_url, key_hosts=self.key_hosts
            )
        elif isinstance(self.api_key, str):
            self.api_key = Secret(self.api_key, "api_key") if self.api_key.strip() else None  # scrubbed from now on

    @property
    def has_model(self) -> bool:
        return bool(self.api_key)

    def assess(self) -> Reply:
        """The opening assessment: the latest results are pinned into the request, the docs are ranked."""
        return Reply(lambda reply: self._turn(reply, "assessment", ASSESSMENT_REQUEST))

    def ask(self, question: str) -> Reply:
        if not question.strip():
            raise InputError("the question is empty", field="question", hint="type a question about the project")
        return Reply(lambda reply: self._turn(reply, "question", question.strip()))

    # -- one turn -------------------------------------------------------------------------------------

    def _select(self, corpus: Corpus, kind: str, question: str) -> list[Ranked]:
        cfg = self.config
        if kind == "assessment":
            pinned = [p for p in corpus.results if not p.heading]  # run, decision and champion summaries
            return self.retriever.select(
                ASSESSMENT_QUERY, corpus.passages, top_k=cfg.top_k, context_chars=cfg.context_chars, pinned=pinned
            )
        return self.retriever.select(question, corpus.passages, top_k=cfg.top_k, context_chars=cfg.context_chars)

    def _turn(self, reply: Reply, kind: Literal["assessment", "question"], question: str) -> Iterator[str]:
        corpus = self.corpus.current()
        passages = self._select(corpus, kind, question)
        base: dict[str, Any] = dict(kind=kind, question=question, passages=tuple(passages))
        if not self.has_model:
            note = f"No API key is set ({' or '.join(key_env_names('gemini'))}), so this is retrieval only."
            yield from self._retrieval_only(reply, note, base)
            return
        asked = question_text(question, kind="request" if kind == "assessment" else "question")
        kept, dropped = bounded_history(self.history, self.config.max_history_chars)
        contents = [types.Content(role=t.role, parts=[types.Part(text=t.text)]) for t in kept]
        contents.append(types.Content(role="user", parts=[types.Part(text=user_message(asked, passages))]))
        attempts = Attempts()
        pieces: list[str] = []
        usage: dict[str, int | None] = {}
        finish: str | None = None
        started = time.monotonic()
        try:
            for chunk in stream_with_retries(
                lambda: self._open(contents, attempts),
                self._policy(),
                should_retry=lambda failure: failure.kind in _RETRIED_KINDS,
                attempts=attempts,
                sleep=self.sleep,
                on_retry=lambda exc, failure: self._audit("retried", failure.http_status, {}, started),
            ):
                if chunk.usage_metadata is not None:
                    counted = gemini_usage(chunk)  # thinking tokens are billed as output: counted in
                    usage = {"prompt_tokens": counted.prompt_tokens, "completion_tokens": counted.completion_tokens}
                finish = gemini_finish_reason(chunk) or finish
                text = gemini_chunk_text(chunk)
                if text:
                    pieces.append(text)
                    yield text
        except MODEL_FAILURES as exc:  # each becomes a stated, key-free outcome; a bug of ours still raises
            failure = classify(exc)
            reason = self._describe(exc, failure, attempts.count)
            self._audit("failed", failure.http_status, usage, started)
            if not pieces:
                yield from self._retrieval_only(reply, f"The request failed: {reason}.", base, dropped=dropped)
                return
            note = f"The reply was interrupted: {reason}. It is incomplete and was not added to the history."
            yield f"\n\n_{note}_"
            reply.answer = Answer(
                status="interrupted",
                text="".join(pieces),
                model=self.config.model,
                note=note,
                cited=self._cited("".join(pieces), corpus),
                usage=usage,
                history_turns_dropped=dropped,
                **base,
            )
            return
        text = "".join(pieces)
        if not text.strip():
            note = f"The model returned no text (finish reason: {finish or 'not given'})."
            self._audit("empty", 200, usage, started)
            yield f"_{note}_"
            reply.answer = Answer(
                status="interrupted",
                text="",
                model=self.config.model,
                note=note,
                usage=usage,
                history_turns_dropped=dropped,
                **base,
            )
            return
        self._audit("ok", 200, usage, started)
        self.history += [Turn("user", asked), Turn("model", text)]
        reply.answer = Answer(
            status="answered",
            text=text,
            model=self.config.model,
            cited=self._cited(text, corpus),
            usage=usage,
            history_turns_dropped=dropped,
            **base,
        )

    def _retrieval_only(self, reply: Reply, note: str, base: dict, *, dropped: int = 0) -> Iterator[str]:
        chunks = list(retrieval_only_chunks(note, base["passages"]))
        yield from chunks
        reply.answer = Answer(
            status="retrieval_only",
            text="".join(chunks),
            note=note,
            cited=tuple(r.passage.label for r in base["passages"]),
            history_turns_dropped=dropped,
            **base,
        )

    # -- the SDK ---------------------------------------------------------------------------------------

    def _policy(self) -> RetryPolicy:
        """`retries` after the first attempt, backing off from `retry_initial_delay_s`; a server's Retry-After
        is honoured up to 20 s (a person is waiting)."""
        return RetryPolicy(
            max_retries=self.config.retries,
            backoff_s=self.config.retry_initial_delay_s,
            max_backoff_s=20.0,
            max_retry_after_s=20.0,
        )

    def client(self) -> genai.Client:
        if self._client is None:
            assert isinstance(self.api_key, Secret), "a client is only built when a key is set"
            self._client = gemini_client(
                api_key=self.api_key, base_url=self.config.base_url, timeout_s=self.config.timeout_s
            )
        return self._client

    def _open(self, contents: list[types.Content], attempts: Attempts) -> Iterator[types.GenerateContentResponse]:
        log.debug("reviewer request: model=%s attempt=%d turns=%d", self.config.model, attempts.count, len(contents))
        config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            temperature=self.config.temperature,
            max_output_tokens=self.config.max_output_tokens,
        )
        return iter(
            self.client().models.generate_content_stream(model=self.config.model, contents=contents, config=config)
        )

    def _describe(self, exc: BaseException, failure: Failure, attempts: int) -> str:
        """What happened, for a person: where the endpoint could not be reached, or what it answered."""
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        if failure.kind in ("connection", "timeout"):
            where = self.config.base_url or os.environ.get("GOOGLE_GEMINI_BASE_URL") or "the Gemini endpoint"
            reason = f"could not reach {where} ({exception_text(exc)}) {tries}"
        elif failure.http_status is not None:
            message = getattr(exc, "message", None) or getattr(exc, "status", None) or ""
            reason = f"the Gemini API answered HTTP {failure.http_status} {message} {tries}".replace("  ", " ")
        else:
            reason = f"{type(exc).__name__}: {exc} ({tries})"
        reason = scrub(reason) or reason
        log.warning("reviewer: %s", reason)
        return reason

    def _audit(self, status: str, code: int | None, usage: dict[str, int | None], started: float) -> None:
        store = self.corpus.store
        if store is None:
            return
        try:
            record_review_call(
                store,
                provider="gemini",
                model=self.config.model,
                status=status,
                http_status=code,
                prompt_tokens=usage.get("prompt_tokens"),
                completion_tokens=usage.get("completion_tokens"),
                latency_s=round(time.monotonic() - started, 3),
            )
        except EvalHarnessError as exc:
            log.warning("reviewer: the call could not be recorded in the audit table: %s", scrub(str(exc)))

    def _cited(self, text: str, corpus: Corpus) -> tuple[str, ...]:
        return find_cited(text, (p.label for p in corpus.passages))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
