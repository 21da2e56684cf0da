"""The drift test across checks: established answers, the stream values, latching and recovery."""

from __future__ import annotations

from evalharness.monitor.compare import Answer, answer_changes, established_answers
from evalharness.monitor.drift import PastCheck, drift_status
from evalharness.monitor.sequential import alarm_path
from evalharness.monitor.settings import MonitorConfig


def _votes(*columns: str) -> list[dict[str, Answer]]:
    """Each string is one check's answers to items a, b, c, … (one letter per item)."""
    return [{f"i{k}": Answer(ch) for k, ch in enumerate(col)} for col in columns]


def test_a_baseline_one_off_is_replaced_by_the_usual_answer() -> None:
    # item 0 of the baseline was a nondeterministic variant ("x"); two later checks agree on "a"
    answers, sources = established_answers(_votes("xbcdefghij", "abcdefghij", "abcdefghij"), 0.10)
    assert answers["i0"].text == "a" and sources["i0"] == 1
    assert all(sources[f"i{k}"] == 0 for k in range(1, 10))
    # most later checks suffice: a variant in one of them does not keep the one-off
    answers, _ = established_answers(_votes("xbcdefghij", "abcdefghij", "zbcdefghij", "abcdefghij"), 0.10)
    assert answers["i0"].text == "a"
    # a baseline caught in a burst (three of ten answers varying at once) is corrected too
    answers, _ = established_answers(_votes("xyzdefghij", "abcdefghij", "abcdefghij", "abcdefghij"), 0.5)
    assert "".join(answers[f"i{k}"].text for k in range(10)) == "abcdefghij"
    # with only one later check there is no evidence yet
    assert established_answers(_votes("xbcdefghij", "abcdefghij"), 0.10)[0]["i0"].text == "x"


def test_a_change_right_after_the_baseline_is_not_absorbed() -> None:
    # most items changed in every check after the baseline: a change, not noise — keep the baseline
    answers, _ = established_answers(_votes("abcdefghij", "ABCDEFghij", "ABCDEFghij", "ABCDEFghij"), 0.5)
    assert "".join(answers[f"i{k}"].text for k in range(10)) == "abcdefghij"


def test_log_probabilities_count_a_same_text_change() -> None:
    ref = {"i0": Answer("a", -1.0, 2), "i1": Answer("b", -1.0, 2)}
    now = {"i0": Answer("a", -1.0, 2), "i1": Answer("b", -1.6, 2)}
    changes = answer_changes(now, ref, 0.05)
    assert changes.share == 0.0 and changes.logprob_share == 0.5 and changes.drift_share == 0.5
    text_only = answer_changes({k: Answer(v.text) for k, v in now.items()}, ref, 0.05)
    assert text_only.logprob_share is None and text_only.drift_share == 0.0


def _run(values: list[dict[str, float | None]], monitor: MonitorConfig):
    past: list[PastCheck] = []
    out = []
    for seq, v in enumerate(values, start=1):
        status = drift_status(past, seq, v, monitor, deterministic=True)
        past.append(PastCheck(seq, v, status.test_start, status.active, status.recovered))
        out.append(status)
    return out


def test_the_alarm_latches_then_recovers_after_quiet_checks_and_a_new_test_starts() -> None:
    monitor = MonitorConfig(endpoint="x", suites=["s"], thresholds={"recover_after": 2})
    quiet, changed = {"changed": 0.0, "score_drop": 0.0}, {"changed": 0.8, "score_drop": 20.0}
    statuses = _run([quiet] * 3 + [changed] * 4 + [quiet] * 3, monitor)
    active = [s.active for s in statuses]
    # the first changed check cannot be bet on; the alarm comes with the fourth, and stays on through one quiet check
    assert active == [False] * 3 + [False, False, False, True] + [True, False, False]
    assert statuses[6].raised_now and statuses[8].recovered
    assert statuses[9].test_start == 10     # a new test after the recovery
    # while no recovery happens, the test is exactly alarm_path over the series (what the benchmark uses)
    series = {"changed": [v["changed"] for v in [quiet] * 3 + [changed] * 4],
              "score_drop": [v["score_drop"] for v in [quiet] * 3 + [changed] * 4]}
    path = alarm_path(series, list(statuses[0].specs), 0.05)
    assert path.first_alarm == 6 and statuses[6].path.combined == path.combined
