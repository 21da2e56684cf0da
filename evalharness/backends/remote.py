"""What every remote backend shares: credentials, the provider session, the loop thread, the audit log.

A subclass says how to send one item (`_generate_one`, optionally `_loglikelihood_one`); this class runs
them concurrently on a background event loop and yields each result to the runner as it finishes.
Failures after the retries become `Generation.failed` with the reason — nothing is dropped or raised.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..checkpoints import Checkpoint
from ..errors import InputError
from ..providers.audit import AuditContext, AuditLog
from ..providers.bridge import LoopThread
from ..providers.keys import Secret, resolve_api_key
from ..providers.session import CallOutcome, ProviderSession, Usage, run_all
from ..providers.settings import provider_settings
from .base import Generation, LogLikelihood, Reply, Request, render_prompt
from .context import BackendContext


def checkpoint_api_key(checkpoint: Checkpoint, key_hosts: Mapping[str, Sequence[str]] | None = None) -> Secret | None:
    """The checkpoint's key from the environment, if the operator's allow-list (`key_hosts`, the config's
    `[keys]`) ties its variable to the manifest's host. Raises KeyNotAllowedError or MissingCredentialError
    naming the variable.

    A backend whose entry names no key variables (a local vLLM or Ollama) needs one only with api_key_env."""
    from ..registry import backend

    required = bool(backend(checkpoint.backend).key_variables) or bool(checkpoint.api_key_env)
    return resolve_api_key(
        checkpoint.backend,
        checkpoint.api_key_env,
        required=required,
        base_url=checkpoint.base_url,
        key_hosts=key_hosts,
    )


def check_generation_settings(checkpoint: Checkpoint) -> None:
    """Reject decoding settings the provider cannot honour, rather than drop them silently.

    OpenAI and Gemini have no repetition penalty (only frequency/presence penalties, which are not the
    same thing); vLLM takes `repetition_penalty` as an extra body field. No remote API blocks n-grams.
    """
    g = checkpoint.generation

    def unsupported(field_name: str, hint: str) -> InputError:
        return InputError(
            f"the {checkpoint.backend} backend cannot honour this setting; {hint}",
            path=checkpoint.manifest_path,
            field=field_name,
        )

    if g.no_repeat_ngram_size:
        raise unsupported("generation.no_repeat_ngram_size", "remote APIs have no n-gram blocking; remove it")
    if g.repetition_penalty != 1.0 and checkpoint.backend != "openai_compatible":
        raise unsupported(
            "generation.repetition_penalty",
            "this API has no repetition_penalty; remove it, or "
            "serve the model with vLLM (openai_compatible honours it)",
        )


def preflight(checkpoint: Checkpoint, key_hosts: Mapping[str, Sequence[str]] | None = None) -> None:
    """Everything that can be checked before a run starts: the manifest's settings and the key."""
    check_generation_settings(checkpoint)
    checkpoint_api_key(checkpoint, key_hosts)


class RemoteBackend(ABC):
    name = "remote"
    supports_loglikelihood = False
    unsupported_reason: str | None = None
    generate_endpoint = "generate"
    loglikelihood_endpoint = "loglikelihood"

    def __init__(self, checkpoint: Checkpoint, context: BackendContext | None = None) -> None:
        self.checkpoint = checkpoint
        self.context = context or BackendContext()
        self.settings = provider_settings(self.context.providers, checkpoint.provider_name)
        check_generation_settings(checkpoint)
        self.api_key = checkpoint_api_key(checkpoint, self.context.key_hosts)
        self.audit = AuditLog(self.context.store) if self.context.store is not None else None
        self._loop = LoopThread(name=f"evalharness-{checkpoint.backend}")
        self._client: Any = None
        self.sessions: list[ProviderSession] = []

    # -- for subclasses -----------------------------------------------------------------------------
    @abstractmethod
    def _make_client(self) -> Any:
        """The provider's async SDK client (built once, on the loop thread)."""

    @abstractmethod
    async def _generate_one(self, client: Any, request: Request) -> tuple[str | Reply, Usage]:
        """One request → (text, or a Reply with log-probabilities, and usage); raise to let the session
        classify and retry."""

    async def _loglikelihood_one(self, client: Any, request: Request) -> tuple[LogLikelihood, Usage]:
        """Only backends that set `supports_loglikelihood` override this; the runner never calls it otherwise."""
        raise RuntimeError(self.unsupported_reason or f"{self.name} gives no log-likelihoods")

    # -- shared by the subclasses ---------------------------------------------------------------------
    def user_text(self, request: Request) -> str:
        return render_prompt(
            self.checkpoint.prompt_format, request.prompt, request.system, self.checkpoint.include_system
        )

    def system_text(self, request: Request) -> str | None:
        """The system message, unless the manifest leaves it out or puts it into the prompt template."""
        if not self.checkpoint.include_system or "{system}" in self.checkpoint.prompt_format:
            return None
        return request.system or None

    def _estimate_tokens(self, request: Request) -> int:
        text = (request.system or "") + request.prompt + (request.reference or "")
        return len(text) // 4 + self.checkpoint.generation.max_tokens

    def _session(self, purpose: str) -> ProviderSession:
        c = self.context
        session = ProviderSession(
            self.settings,
            AuditContext(
                provider=self.checkpoint.provider_name,
                model=self.checkpoint.model,
                purpose=purpose,
                run_id=c.run_id,
                suite_hash=c.suite_hash,
            ),
            audit=self.audit,
            concurrency=c.concurrency,
        )
        self.sessions.append(session)
        return session

    def _client_in_loop(self) -> Any:
        if self._client is None:

            async def build() -> Any:
                return self._make_client()

            self._client = self._loop.run(build())
        return self._client

    def _stream(
        self,
        requests: Sequence[Request],
        purpose: str,
        endpoint: str,
        call: Callable[[Any, Request], Any],
        convert: Callable[[Request, CallOutcome[Any]], Any],
    ) -> Iterator[Any]:
        client = self._client_in_loop()

        async def producer(emit: Callable[[Any], None]) -> None:
            session = self._session(purpose)

            async def work(request: Request) -> Any:
                outcome = await session.call(
                    lambda: call(client, request),
                    item_id=request.item_id,
                    endpoint=endpoint,
                    estimated_tokens=self._estimate_tokens(request),
                )
                return convert(request, outcome)

            await run_all(requests, work, emit, workers=session.limiter.max_limit)

        return self._loop.stream(producer)

    # -- the Backend protocol -----------------------------------------------------------------------
    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        return self._stream(requests, "generation", self.generate_endpoint, self._generate_one, _to_generation)

    def loglikelihood(self, requests: Sequence[Request]) -> Iterator[LogLikelihood]:
        if not self.supports_loglikelihood:
            raise RuntimeError(self.unsupported_reason or "this backend gives no log-likelihoods")
        return self._stream(
            requests, "loglikelihood", self.loglikelihood_endpoint, self._loglikelihood_one, _to_loglikelihood
        )

    async def _aclose_client(self, client: Any) -> None:
        await client.close()

    def close(self) -> None:
        """Close the client, stop the loop thread, and write the last audit rows."""
        try:
            if self._client is not None:
                client, self._client = self._client, None
                self._loop.run(self._aclose_client(client))
        finally:
            self._loop.close()
            if self.audit is not None:
                self.audit.close()


def _to_generation(request: Request, outcome: CallOutcome[str | Reply]) -> Generation:
    if outcome.ok and outcome.value is not None:
        reply = outcome.value if isinstance(outcome.value, Reply) else Reply(outcome.value)
        return Generation(
            item_id=request.item_id,
            status="ok",
            text=reply.text,
            prompt_tokens=outcome.usage.prompt_tokens,
            completion_tokens=outcome.usage.completion_tokens,
            latency_s=outcome.latency_s,
            attempts=outcome.attempts,
            logprob_sum=reply.logprob_sum,
            logprob_tokens=reply.logprob_tokens,
        )
    reason = outcome.failure.reason if outcome.failure else "no text returned"
    return Generation.failed(request.item_id, reason, attempts=outcome.attempts)


def _to_loglikelihood(request: Request, outcome: CallOutcome[LogLikelihood]) -> LogLikelihood:
    if outcome.ok and outcome.value is not None:
        return outcome.value
    reason = outcome.failure.reason if outcome.failure else "no log-probabilities returned"
    return LogLikelihood(item_id=request.item_id, status="failed", error=reason)
