"""The judge phase: the verdicts behind CAS, produced before scoring so that scoring stays pure.

It decides governance (an external judge may only read answers of suites that allow `external_judging`),
sends what the verdict cache (`judge_calls`) lacks through `judge.engine.Judge`, and returns one outcome per
item plus the run's judge summary and per-run verdict rows, which the persist phase stores. In cache-only mode
(rescoring) nothing is sent: an item without cached verdicts is `not_scored`, saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import GovernanceError
from .governance import require
from .metrics.base import JudgedItem
from .metrics.cas import NO_JUDGE

if TYPE_CHECKING:
    from .judge.engine import Judge, JudgeReport
    from .judge.rubric import Rubric
    from .judge.settings import JudgeConfig
    from .providers.keys import Secret
    from .providers.settings import ProviderSettings
    from .store import Store
    from .store.judging import JudgeRunItemRow as RunItemRow
    from .suites import Item, Suite

NOT_JUDGED_YET = "no cached verdict: rescoring sends nothing; run `evalharness run` (or --retry-failed) to judge it"


@dataclass(frozen=True)
class JudgeSetup:
    """A configured judge: its settings, the rubric it grades by, its key and provider limits."""

    config: JudgeConfig
    rubric: Rubric
    api_key: Secret | None
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    default_concurrency: int = 8
    client_factory: Callable[..., Any] | None = None

    @property
    def is_external(self) -> bool:
        return self.config.is_external

    def judge(self, store: Store) -> Judge:
        from .judge.engine import Judge

        extra = {"client_factory": self.client_factory} if self.client_factory else {}
        return Judge(self.config, self.rubric, store, self.providers, self.default_concurrency, self.api_key, **extra)


@dataclass(frozen=True)
class JudgePhaseResult:
    """Per item id: its judged outcome. `summary` goes into the run summary under "judge"; `rows` are the run's
    per-item verdict rows (`judge_run_items`), replaced whole when the run is persisted."""

    judged: dict[str, JudgedItem]
    summary: dict[str, Any]
    rows: list[RunItemRow]


def judge_setup(config: Any) -> JudgeSetup | None:
    """The judge the config describes, with its rubric loaded and its key resolved (a missing key stops
    everything before a run starts); None when no judge is enabled."""
    settings = config.judge
    if not settings.enabled:
        return None
    from .judge.rubric import load_rubric
    from .providers.keys import resolve_api_key

    rubric = load_rubric(config.resolve(settings.rubric))
    # only to a host the operator tied the key variable to (`[keys]`), checked before anything is sent
    key = resolve_api_key(settings.provider, settings.api_key_env, base_url=settings.base_url, key_hosts=config.keys)
    return JudgeSetup(settings, rubric, key, config.providers, config.run.concurrency)


def refusal(setup: JudgeSetup | None, suite: Suite) -> str | None:
    """Why this suite's answers are not judged at all, or None."""
    if setup is None:
        return NO_JUDGE
    if setup.is_external:
        try:
            require(
                suite,
                "external_judging",
                purpose=f"sending answers to the {setup.config.provider} judge '{setup.config.model}'",
            )
        except GovernanceError as exc:
            return f"not judged: {exc}"
    return None


def judge_answers(
    setup: JudgeSetup | None,
    store: Store,
    suite: Suite,
    run_id: str,
    answers: Sequence[tuple[Item, str]],
    *,
    send: bool,
) -> JudgePhaseResult:
    """Judge each (item, answer) pair; `send=False` reads the cache only."""
    why_not = refusal(setup, suite)
    if why_not is not None:
        return JudgePhaseResult(
            {item.id: JudgedItem("not_scored", None, why_not) for item, _ in answers},
            {"status": "not_scored", "reason": why_not},
            [],
        )
    assert setup is not None
    judge = setup.judge(store)
    report = judge.judge(list(answers), suite=suite, run_id=run_id, send=send)
    judged = {}
    for item_id, j in report.judgements.items():
        if j.status == "scored" and j.cas is not None:
            judged[item_id] = JudgedItem("scored", j.cas)
        elif j.status == "not_scored":
            judged[item_id] = JudgedItem("not_scored", None, NOT_JUDGED_YET)
        else:
            judged[item_id] = JudgedItem("failed", None, j.reason)
    summary = _summary(judge.label, setup.rubric, setup.config.samples, report)
    if setup.is_external:
        from .providers.pricing import calls_cost

        # every judging call audited under this run (all its scorings), priced from [providers.<name>]
        summary["cost"] = calls_cost(store, setup.providers, run_id=run_id, purposes=("judging",)).to_json()
    return JudgePhaseResult(judged, summary, judge.run_rows(run_id, report))


def _summary(label: str, rubric: Rubric, samples: int, report: JudgeReport) -> dict[str, Any]:
    failed = sorted(i for i, j in report.judgements.items() if j.status == "failed")
    unjudged = sorted(i for i, j in report.judgements.items() if j.status == "not_scored")
    done = len(report.judgements) - len(failed) - len(unjudged)
    status = "scored" if done == len(report.judgements) else ("partial" if done else "failed")
    return {
        "status": status,
        "judge": label,
        "rubric": rubric.label,
        "rubric_hash": rubric.sha256,
        "samples": samples,
        "unstable_items": report.unstable,
        "failed_items": failed,
        "not_judged_items": unjudged,
        "requests_needed": report.samples_needed,
        "cache_hits": report.cache_hits,
        "sent": report.sent,
        "http_attempts": report.attempts,
        "invalid_verdicts": report.invalid,
        "failed_requests": report.failed,
    }
