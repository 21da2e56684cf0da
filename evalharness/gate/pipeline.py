"""`evalharness gate` as a library call: run what is missing, compare, decide, report, record.

The champion is the one given, else the recorded one. Its runs come from the Runner, which reuses a
complete run on the same suite version and generates only what is missing; a recorded champion whose
manifest is gone or has changed can still be compared through its stored runs on these suite versions.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..backends.base import Backend
from ..checkpoints import Checkpoint, find_checkpoint
from ..config import Config
from ..errors import EvalHarnessError, InputError
from ..store import Store
from ..store import gate as gate_records
from ..store import runs as run_records
from ..store.gate import ChampionRow
from ..suites import Suite
from .compare import compare_runs
from .decide import Decision, decide, num
from .policy import check_policy
from .report import GateResult, Side, stats_dict, to_markdown

if TYPE_CHECKING:
    from ..runner import Progress


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _stored_runs(store: Store, identity: str, suites: Sequence[Suite]) -> list[str] | None:
    """The newest complete run of a checkpoint identity on each suite version, or None if one is missing."""
    run_ids = []
    for suite in suites:
        run_id = run_records.newest_complete_run(store, identity, suite.content_hash)
        if run_id is None:
            return None
        run_ids.append(run_id)
    return run_ids


def _recorded_champion(
    config: Config, store: Store, suites: Sequence[Suite], champion: ChampionRow | None
) -> tuple[Side, Checkpoint | None, list[str] | None] | None:
    """The recorded champion (as read once, when the gate began) as (side, manifest to run, or stored runs)."""
    if champion is None:
        return None
    side = Side(champion.checkpoint_name, champion.checkpoint_identity)
    try:
        checkpoint = find_checkpoint(champion.checkpoint_name, config.resolve(config.run.checkpoints_dir))
    except InputError:
        checkpoint = None
    if checkpoint is not None and checkpoint.identity == champion.checkpoint_identity:
        return side, checkpoint, None
    stored = _stored_runs(store, champion.checkpoint_identity, suites)
    if stored is not None:
        return side, None, stored
    why = "its manifest is gone" if checkpoint is None else "its manifest now describes other weights or settings"
    raise InputError(
        f"the recorded champion '{champion.checkpoint_name}' cannot be evaluated: {why}, and it has no "
        "complete stored run on these suite versions",
        field="champion",
        hint="pass --champion NAME, or set the champion again with `evalharness champion set NAME`",
    )


def _retirement_notices(config: Config, store: Store, candidate: str, champion: Side | None) -> tuple[str, ...]:
    """ "The champion retires in N days: gate a replacement" — from what `monitor check` last looked up."""
    from ..monitor.notices import retirement_notices

    names = [candidate] + ([champion.name] if champion is not None else [])
    found = retirement_notices(config, store, names)
    out = []
    if champion is not None and champion.name in found:
        out.append(found[champion.name].text(f"The champion `{champion.name}`"))
    if candidate in found and candidate != (champion.name if champion else None):
        out.append(found[candidate].text(f"The candidate `{candidate}`"))
    return tuple(out)


def _champion_reason(decision: Decision, champion: Side | None) -> str:
    if champion is None:
        return "first champion: no champion was recorded before"
    gains = ", ".join(f"{k} {num(v)}" for k, v in decision.primary_gains.items())
    return f"advanced over {champion.name} ({gains})"


#: evaluates a checkpoint on a suite (reusing what is stored) and gives the id of the run to compare
Evaluate = Callable[[Checkpoint, Suite], str]


def _check_allowed(checkpoints: Sequence[Checkpoint], suites: Sequence[Suite]) -> None:
    """Every checkpoint × suite's governance, before the first request: a refusal then sends nothing at all."""
    from ..runner import check_allowed

    for checkpoint in checkpoints:
        for suite in suites:
            check_allowed(checkpoint, suite)


def default_evaluate(
    config: Config,
    store: Store,
    *,
    progress: Progress | None = None,
    backend_factory: Callable[[Checkpoint], Backend] | None = None,
) -> Evaluate:
    """The standard evaluation: a runner under `config` that resumes or reuses the newest matching run."""
    from ..runner import Runner

    runner = Runner(config, store, progress=progress, backend_factory=backend_factory)
    return lambda checkpoint, suite: runner.run(checkpoint, suite).run_id


def run_gate(
    config: Config,
    store: Store,
    candidate: Checkpoint,
    suites: Sequence[Suite],
    *,
    champion: Checkpoint | None = None,
    record: bool = False,
    evaluate: Evaluate | None = None,
    progress: Progress | None = None,
    backend_factory: Callable[[Checkpoint], Backend] | None = None,
) -> GateResult:
    """Gate one candidate. Raises on bad input (exit 2); every decision, incomplete ones too, is stored.

    `evaluate(checkpoint, suite)` gives the id of the run to compare (the CLI passes its runner's); by default a
    runner under `config` does it, with `progress` and `backend_factory`."""
    check_policy(config)
    if not suites:
        raise InputError("no suites to gate on", field="suite", hint="pass --suite or set run.suites in the config")
    policy = config.gate
    recorded = gate_records.current_champion(store)
    if record and champion is not None and recorded is not None and champion.identity != recorded.checkpoint_identity:
        raise InputError(
            f"--record with --champion {champion.name}, but the recorded champion is "
            f"{recorded.checkpoint_name}: an advance would replace it without comparing with it",
            field="champion",
            hint="drop --champion to compare with the recorded champion, or set the "
            f"champion first with `evalharness champion set {champion.name}`",
        )
    evaluate = evaluate or default_evaluate(config, store, progress=progress, backend_factory=backend_factory)
    champion_side: Side | None
    champion_runs: list[str] | None
    manifest: Checkpoint | None = champion
    if champion is not None:
        champion_side, champion_runs = Side(champion.name, champion.identity), None
    else:
        found = _recorded_champion(config, store, suites, recorded)
        champion_side, manifest, champion_runs = found if found is not None else (None, None, None)
    _check_allowed([candidate] + ([manifest] if manifest is not None else []), suites)
    if manifest is not None:
        champion_runs = [evaluate(manifest, s) for s in suites]
    candidate_runs = [evaluate(candidate, s) for s in suites]
    comparison = compare_runs(store, policy, candidate_runs, champion_runs)
    history = gate_records.recent_advance_gains(store, policy.convergence_rounds - 1)
    decision = decide(policy, comparison, has_champion=champion_side is not None, previous_advance_gains=history)
    move = record and decision.advances
    # With --record and no champion recorded yet, the champion given is recorded as the first one (in the same
    # transaction as the decision), so "the champion" means the same thing here, in `champion show` and on
    # the dashboard.
    starting = (champion.name, champion.identity) if record and champion is not None and recorded is None else None
    note = _record_note(
        candidate.name,
        champion_side,
        decision.advances,
        record=record,
        recorded=recorded.checkpoint_name if recorded else None,
    )
    decision_id = "dec-" + uuid.uuid4().hex[:12]
    result = GateResult(
        candidate=Side(candidate.name, candidate.identity),
        champion=champion_side,
        comparison=comparison,
        decision=decision,
        policy=policy,
        decision_id=decision_id,
        recorded=move,
        record_note=note,
        notices=_retirement_notices(config, store, candidate.name, champion_side),
    )
    report_md = to_markdown(result)
    gate_records.record_decision(
        store,
        {
            "decision_id": decision_id,
            "candidate": candidate.name,
            "candidate_identity": candidate.identity,
            "champion": champion_side.name if champion_side else None,
            "champion_identity": champion_side.identity if champion_side else None,
            "candidate_run_ids": candidate_runs,
            "champion_run_ids": champion_runs or [],
            "decision": decision.outcome,
            "exit_code": decision.exit_code,
            "reasons": decision.reasons,
            "stats": stats_dict(comparison, decision),
            "policy": policy.model_dump(),
            "seed": policy.seed,
            "report_md": report_md,
            "champion_reason": _champion_reason(decision, champion_side),
        },
        move_champion=move,
        expected_seq=recorded.seq if recorded else None,
        set_by=f"evalharness gate --record ({_user()})",
        starting_champion=starting,
    )
    return result


def _record_note(candidate: str, champion: Side | None, advances: bool, *, record: bool, recorded: str | None) -> str:
    """What happened to the champion, in the same words everywhere: recorded, or a trial run that changed nothing."""
    if record:
        if advances:
            return f"Recorded: `{candidate}` is now the champion."
        return f"The champion stays `{champion.name}`." if champion else "No champion is recorded."
    now = f"the recorded champion is still `{recorded}`" if recorded else "no champion is recorded"
    if champion is None:
        verdict = "passes" if advances else "does not pass"
        return f"Trial run (not recorded): `{candidate}` {verdict}; {now}. Pass `--record` to record decisions."
    verdict = "would replace" if advances else "would not replace"
    return (
        f"Trial run (not recorded): `{candidate}` {verdict} `{champion.name}`; {now}. Pass `--record` to "
        "record decisions."
    )


def run_rounds(
    config: Config,
    store: Store,
    candidates: Sequence[Checkpoint],
    suites: Sequence[Suite],
    *,
    champion: Checkpoint | None = None,
    record: bool = False,
    evaluate: Evaluate | None = None,
    progress: Progress | None = None,
    backend_factory: Callable[[Checkpoint], Backend] | None = None,
) -> list[GateResult]:
    """The adaptive loop: gate candidates in order, each against the champion the previous rounds left.

    An advance makes the candidate the working champion for the next round (recorded only with
    `record`); a revert keeps the champion; an incomplete round stops the loop, since what follows
    would rest on a comparison that did not happen.
    """
    _check_allowed([*candidates] + ([champion] if champion is not None else []), suites)  # every round's
    results: list[GateResult] = []
    working = champion
    evaluate = evaluate or default_evaluate(config, store, progress=progress, backend_factory=backend_factory)
    for candidate in candidates:
        result = run_gate(
            config,
            store,
            candidate,
            suites,
            champion=working,
            record=record,
            evaluate=evaluate,
        )
        results.append(result)
        if result.decision.outcome == "incomplete":
            break
        if result.decision.advances:
            working = candidate
    return results


def rounds_exit_code(results: Sequence[GateResult]) -> int:
    """One exit code for several rounds: incomplete (3) if a round was, else the last round's code."""
    if not results:
        raise EvalHarnessError("no gate rounds ran")
    if any(r.decision.outcome == "incomplete" for r in results):
        return 3
    return results[-1].decision.exit_code
