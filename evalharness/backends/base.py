"""The backend interface: generate a batch; optionally score a reference's log-likelihood.

Modelled on lm-evaluation-harness's batch calls, but each result streams back as soon as it is done
(an iterator), so the runner can store it before the next one arrives — a crash loses nothing finished.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Status = Literal["ok", "failed"]


@dataclass(frozen=True)
class Request:
    """One item as the backend sees it. `reference` is only used by `loglikelihood`."""

    item_id: str
    prompt: str
    system: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Generation:
    """A finished generation, or a failure with its reason. `text` is None exactly when status is failed."""

    item_id: str
    status: Status
    text: str | None = None
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    attempts: int = 1
    #: sum and count of the generated tokens' log-probabilities, when the backend was asked for them and the
    #: provider returned them (a monitor compares them across checks); None otherwise
    logprob_sum: float | None = None
    logprob_tokens: int | None = None

    @classmethod
    def failed(cls, item_id: str, error: str, **kw: object) -> Generation:
        return cls(item_id=item_id, status="failed", text=None, error=error, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Reply:
    """A generated text with the log-probabilities of its tokens (what `_generate_one` returns when asked)."""

    text: str
    logprob_sum: float | None = None
    logprob_tokens: int | None = None


@dataclass(frozen=True)
class LogLikelihood:
    """Teacher-forced log-likelihood of the reference given the prompt.

    `nats` is the (negative-or-zero) sum of log-probabilities of the reference tokens; `tokens`, `chars`
    and `bytes` are what they were measured over. Bits per char = -nats / chars / ln 2.
    """

    item_id: str
    status: Status
    nats: float | None = None
    tokens: int | None = None
    chars: int | None = None
    bytes: int | None = None
    error: str | None = None


@runtime_checkable
class Backend(Protocol):
    """What every backend implements. `supports_loglikelihood` is False when the provider cannot give the
    log-probabilities of a *given* text; the perplexity metric then records "unsupported"."""

    # read-only members: a class attribute or an instance attribute satisfies them
    @property
    def name(self) -> str: ...

    @property
    def supports_loglikelihood(self) -> bool: ...

    @property
    def unsupported_reason(self) -> str | None: ...

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        """Yield one Generation per request (any order), each as soon as it is finished."""
        ...

    def loglikelihood(self, requests: Sequence[Request]) -> Iterator[LogLikelihood]:
        """Yield one LogLikelihood per request (any order), each as soon as it is finished; only called when
        supports_loglikelihood is True."""
        ...

    def close(self) -> None: ...


def render_prompt(template: str, prompt: str, system: str | None, include_system: bool) -> str:
    """Fill a manifest's prompt_format. Local demo models are trained on `Q: …\\nA:` without the system text."""
    text = template.replace("{prompt}", prompt)
    if "{system}" in text:
        text = text.replace("{system}", (system or "") if include_system else "")
    return text
