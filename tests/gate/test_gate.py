"""The gate end to end: real Runner (replay backend), real DuckDB, real decisions."""

from __future__ import annotations

import random

import pytest

from evalharness.errors import InputError
from evalharness.gate import (champion_history, compare_runs, current_champion, list_decisions, run_gate, run_rounds,
                              set_champion, to_json, to_markdown)
from evalharness.runner import Runner

from .labkit import Lab, corrupt, corrupted_replies, dictionary_items, words


def test_identical_candidate_reverts_with_no_significant_gain(planted) -> None:
    lab, _ = planted
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("same"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    chrf = result.comparison.metric("chrf++")
    assert chrf is not None and chrf.estimate is not None
    assert chrf.estimate.delta == 0.0 and chrf.estimate.ci_low == 0.0 and chrf.estimate.ci_high == 0.0
    assert chrf.estimate.p_value == 1.0 and chrf.p_holm == 1.0
    assert result.decision.outcome == "revert" and result.decision.exit_code == 1
    assert any("chrf++ (primary)" in r and "no significant gain" in r for r in result.decision.reasons)
    # even with no paired spread the report still states what the suite could detect
    assert chrf.estimate.mde is not None and chrf.estimate.mde_basis == "champion spread"


def test_planted_improvement_advances(planted) -> None:
    lab, _ = planted
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("better"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    chrf = result.comparison.metric("chrf++")
    assert chrf is not None and chrf.estimate is not None
    assert chrf.estimate.gain > 20 and chrf.estimate.ci_low > 0 and chrf.p_holm is not None and chrf.p_holm < 0.05
    assert result.decision.outcome == "advance" and result.decision.exit_code == 0
    # what could not be checked is said, not skipped: replay gives no log-likelihoods
    assert any("bits_per_char (guard) not checked" in r and "unsupported" in r for r in result.decision.reasons)
    # sacrebleu's own paired bootstrap on the texts agrees with the stored statistics
    checks = [x for m in result.comparison.metrics for x in m.crosscheck]
    assert {x.metric for x in checks} == {"chrf", "chrf++"}
    assert all(x.scores_agree and x.p_agrees for x in checks)
    # stored with all statistics; not recorded → the champion did not move
    row = list_decisions(store)[0]
    assert row.decision == "advance" and not row.recorded and row.seed == 12345
    stats = {m["metric"]: m for m in row.stats["metrics"]}
    assert stats["chrf++"]["estimate"]["gain"] == pytest.approx(chrf.estimate.gain)
    assert stats["chrf++"]["p_holm"] == pytest.approx(chrf.p_holm)
    assert "chrf++" in row.report_md and current_champion(store) is None


def test_guard_regression_reverts_naming_the_metric(lab: Lab) -> None:
    items = dictionary_items(120, seed=3)
    rng = random.Random(5)
    # champion: 40% exactly right, the rest unrelated words; candidate: every reply one word off
    champ = {i["id"]: i["reference"] if n % 5 < 2 else " ".join(words(rng, 6)) for n, i in enumerate(items)}
    cand = {i["id"]: corrupt(i["reference"], 1 / 6, rng) for i in items}
    lab.suite("synthetic-qa", items)
    lab.checkpoint("champ", champ)
    lab.checkpoint("cand", cand)
    lab.config()
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("cand"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    failed = [c for c in result.decision.checks if c.verdict == "fail"]
    assert result.decision.outcome == "revert"
    assert [c.metric for c in failed] == ["exact_match"] and failed[0].kind == "guard"
    assert "regressed beyond the margin of 5" in failed[0].message
    assert any(c.kind == "primary" and c.verdict == "pass" for c in result.decision.checks)  # chrF++ did improve


def _narrative_lab(lab: Lab, relapse_on: str | None) -> None:
    rng = random.Random(11)
    items = []
    for n in range(60):
        narrative = " ".join(words(rng, 8))
        items.append({"id": f"c{n:03d}", "prompt": f"correct this {n}", "narrative": narrative,
                      "disallowed": " ".join(words(rng, 8)), "direction": "explain"})
    lab.suite("corrections", items, kind="narrative_correction")
    lab.checkpoint("champ", {i["id"]: corrupt(i["narrative"], 0.5, rng) for i in items})
    lab.checkpoint("cand", {i["id"]: (i["disallowed"] if i["id"] == relapse_on else corrupt(i["narrative"], 0.15, rng))
                            for i in items})
    lab.config()


def test_a_relapse_reverts_listing_the_item(lab: Lab) -> None:
    _narrative_lab(lab, relapse_on="c007")
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("cand"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    relapses = result.comparison.relapses
    assert relapses is not None and relapses.n_checked == 60
    assert [r.item_id for r in relapses.relapsed] == ["c007"]
    assert relapses.relapsed[0].candidate.to_disallowed == pytest.approx(100.0)
    assert result.decision.outcome == "revert"
    failed = [c for c in result.decision.checks if c.verdict == "fail"]
    assert len(failed) == 1 and failed[0].kind == "relapse" and "corrections/c007" in failed[0].message
    assert "| corrections | c007 |" in to_markdown(result)


def test_relapses_within_the_allowance_pass(lab: Lab) -> None:
    _narrative_lab(lab, relapse_on="c007")
    lab.config(max_relapses=1)
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("cand"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    assert result.decision.outcome == "advance"
    assert any("1 relapse(s) on 60 narrative corrections (allowed 1): corrections/c007" in r
               for r in result.decision.reasons)


def test_failed_items_make_the_gate_incomplete_and_are_reported(planted) -> None:
    lab, items = planted
    replies = corrupted_replies(items, 1 / 6, seed=2)
    for item in items[:3]:
        replies[item["id"]] = None
    lab.checkpoint("holey", replies)
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("holey"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    assert result.decision.outcome == "incomplete" and result.decision.exit_code == 3
    assert any("candidate run" in r and "incomplete (3 failed item(s))" in r for r in result.decision.reasons)
    chrf = result.comparison.metric("chrf++")
    assert chrf is not None and chrf.n_paired == 147 and chrf.n_items == 150
    dropped = [d for d in chrf.drops if d.side == "candidate"]
    assert dropped[0].count == 3 and set(dropped[0].item_ids) == {"q0000", "q0001", "q0002"}
    assert "no recorded reply" in dropped[0].reason
    assert list_decisions(store)[0].decision == "incomplete"


def test_a_required_metric_that_was_not_scored_is_incomplete(planted) -> None:
    lab, _ = planted
    lab.config(required=["chrf++", "bits_per_char"])
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("better"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    assert result.decision.outcome == "incomplete"
    assert any("required metric bits_per_char could not be compared" in r for r in result.decision.reasons)


def test_floor_below_reverts(planted) -> None:
    lab, _ = planted
    lab.config(floors={"chrf++": 90.0})
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("better"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    assert result.decision.outcome == "revert"
    assert any(c.kind == "floor" and c.verdict == "fail" and c.metric == "chrf++" for c in result.decision.checks)


def test_record_moves_the_champion_on_advance_and_not_on_revert(planted) -> None:
    lab, _ = planted
    config, store = lab.load()
    set_champion(store, "champ", lab.ckpt("champ").identity, set_by="test", reason="first")
    reverted = run_gate(config, store, lab.ckpt("same"), lab.loaded_suites(), record=True)
    assert reverted.champion is not None and reverted.champion.name == "champ"   # the recorded champion was used
    assert not reverted.recorded and current_champion(store).checkpoint_name == "champ"
    advanced = run_gate(config, store, lab.ckpt("better"), lab.loaded_suites(), record=True)
    assert advanced.recorded
    now = current_champion(store)
    assert now.checkpoint_name == "better" and now.decision_id == advanced.decision_id
    assert "advanced over champ (chrf++ +" in now.reason
    assert [c.checkpoint_name for c in champion_history(store)] == ["better", "champ"]
    assert [d.recorded for d in list_decisions(store)] == [True, False]
    # the champion is never replaced by a checkpoint that was compared with another one
    with pytest.raises(InputError, match="without comparing with it"):
        run_gate(config, store, lab.ckpt("same"), lab.loaded_suites(), champion=lab.ckpt("champ"), record=True)


def test_without_a_champion_the_first_candidate_becomes_champion_only_when_recorded(planted) -> None:
    lab, _ = planted
    config, store = lab.load()
    first = run_gate(config, store, lab.ckpt("champ"), lab.loaded_suites())
    assert first.decision.outcome == "advance" and first.champion is None and not first.recorded
    assert any("no champion recorded yet" in r for r in first.decision.reasons)
    assert current_champion(store) is None
    recorded = run_gate(config, store, lab.ckpt("champ"), lab.loaded_suites(), record=True)
    assert recorded.recorded and current_champion(store).checkpoint_name == "champ"
    assert current_champion(store).reason.startswith("first champion")


def test_rounds_move_the_working_champion_and_converge(lab: Lab) -> None:
    items = dictionary_items(100, seed=9)
    lab.suite("synthetic-qa", items)
    lab.checkpoint("v1", corrupted_replies(items, 0.8, seed=1))
    lab.checkpoint("v2", corrupted_replies(items, 0.5, seed=2))
    lab.checkpoint("v3", corrupted_replies(items, 0.2, seed=3))
    lab.checkpoint("v3-same", corrupted_replies(items, 0.2, seed=3))
    lab.config(convergence_rounds=2, convergence_epsilon=100.0)
    config, store = lab.load()
    results = run_rounds(config, store, [lab.ckpt("v2"), lab.ckpt("v3"), lab.ckpt("v3-same")], lab.loaded_suites(),
                         champion=lab.ckpt("v1"), record=True)
    assert [r.decision.outcome for r in results] == ["advance", "converged", "revert"]
    assert [r.champion.name for r in results] == ["v1", "v2", "v3"]
    assert current_champion(store).checkpoint_name == "v3"
    assert any("converged" in r for r in results[1].decision.reasons)


def test_runs_on_different_suite_versions_are_never_compared(planted) -> None:
    lab, items = planted
    config, store = lab.load()
    runner = Runner(config, store)
    old = runner.run(lab.ckpt("champ"), lab.loaded_suites()[0]).run_id
    lab.suite("synthetic-qa", items, version="1.1.0")
    new = runner.run(lab.ckpt("better"), lab.loaded_suites()[0]).run_id
    with pytest.raises(InputError, match="never compared"):
        compare_runs(store, config.gate, [new], [old])


def test_two_suites_are_resampled_within_each_and_reported_per_suite(planted) -> None:
    lab, _ = planted
    second_items = dictionary_items(40, seed=21)
    lab.suite("second-qa", second_items)
    for name, share, seed in (("champ2", 0.5, 1), ("better2", 0.2, 2)):
        replies = corrupted_replies(dictionary_items(150), share, seed)
        replies.update(corrupted_replies(second_items, share, seed + 10))
        lab.checkpoint(name, replies)
    lab.config()
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("better2"), lab.loaded_suites(), champion=lab.ckpt("champ2"))
    chrf = result.comparison.metric("chrf++")
    assert chrf is not None and chrf.n_paired == 190
    assert [name for name, _ in chrf.per_suite] == ["second-qa", "synthetic-qa"]
    assert all(x.scores_agree and x.p_agrees for x in chrf.crosscheck)
    assert {x.seed for x in chrf.crosscheck} == {12345, 12346}
    assert result.decision.outcome == "advance"
    report = to_json(result)
    assert report["decision"] == "advance" and len(report["suites"]) == 2


class ScriptedBackend:
    """A local backend that answers from a table and scores references at a fixed bits-per-character.

    It implements the real Backend protocol, so the runner stores log-likelihoods and the perplexity
    metrics exactly as for a transformers checkpoint.
    """

    name = "scripted"
    supports_loglikelihood = True
    unsupported_reason = None

    def __init__(self, replies: dict[str, str], bits_per_char: float) -> None:
        self.replies, self.bpc = replies, bits_per_char

    def generate(self, requests):
        from evalharness.backends.base import Generation

        for r in requests:
            yield Generation(item_id=r.item_id, status="ok", text=self.replies[r.item_id], latency_s=0.0)

    def loglikelihood(self, requests):
        import math

        from evalharness.backends.base import LogLikelihood

        for n, r in enumerate(requests):
            chars = len(r.reference)
            wobble = 0.2 * ((n * 7919) % 11 - 5) / 5  # per-item variation around the checkpoint's level
            nats = -(self.bpc + wobble) * chars * math.log(2)
            yield LogLikelihood(item_id=r.item_id, status="ok", nats=nats, tokens=max(1, chars // 3), chars=chars,
                                bytes=len(r.reference.encode()))

    def close(self) -> None:
        return None


def test_a_perplexity_guard_regression_reverts_naming_bits_per_char(lab: Lab) -> None:
    from evalharness.checkpoints import Checkpoint

    items = dictionary_items(120, seed=13)
    lab.suite("synthetic-qa", items)
    lab.config()
    champ = Checkpoint(name="champ", backend="transformers", model="scripted-champ")
    cand = Checkpoint(name="cand", backend="transformers", model="scripted-cand")
    backends = {"champ": ScriptedBackend(corrupted_replies(items, 0.5, seed=1), bits_per_char=2.0),
                "cand": ScriptedBackend(corrupted_replies(items, 0.2, seed=2), bits_per_char=2.3)}
    config, store = lab.load()
    result = run_gate(config, store, cand, lab.loaded_suites(), champion=champ,
                      backend_factory=lambda c: backends[c.name])
    bpc = result.comparison.metric("bits_per_char")
    assert bpc is not None and bpc.estimate is not None and bpc.higher_is_better is False
    assert bpc.estimate.delta == pytest.approx(0.3, abs=0.05) and bpc.estimate.gain < 0
    failed = [c for c in result.decision.checks if c.verdict == "fail"]
    assert result.decision.outcome == "revert" and [c.metric for c in failed] == ["bits_per_char"]
    assert any(c.kind == "primary" and c.verdict == "pass" for c in result.decision.checks)


def test_a_record_made_stale_by_another_gate_is_refused(planted, monkeypatch) -> None:
    """Compare-and-set: the champion moves (another machine's gate) between this gate's comparison and its
    --record; nothing is written and the error says to run the gate again."""
    from evalharness.gate import pipeline
    from evalharness.store.gate import ChampionChanged

    lab, _ = planted
    config, store = lab.load()
    set_champion(store, "champ", lab.ckpt("champ").identity, set_by="test", reason="first")
    real_compare = pipeline.compare_runs

    def compare_while_another_gate_records(*args, **kwargs):
        comparison = real_compare(*args, **kwargs)
        set_champion(store, "same", lab.ckpt("same").identity, set_by="another machine", reason="moved meanwhile")
        return comparison

    monkeypatch.setattr(pipeline, "compare_runs", compare_while_another_gate_records)
    decisions_before = len(list_decisions(store))
    with pytest.raises(ChampionChanged, match="changed while this comparison ran") as error:
        run_gate(config, store, lab.ckpt("better"), lab.loaded_suites(), record=True)
    assert error.value.exit_code == 2 and "run `evalharness gate` again" in str(error.value)
    assert [c.checkpoint_name for c in champion_history(store)] == ["same", "champ"]
    assert len(list_decisions(store)) == decisions_before


def test_spelling_aware_metrics_guard_the_gate(lab: Lab) -> None:
    """A candidate that drops the nasal marks (â î û) gains chrF++ on a badly wrong champion, yet its
    diacritic-only errors are a regression the community guards against."""
    import unicodedata

    def unmarked(text: str) -> str:
        return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text)
                                                    if not unicodedata.combining(c)))

    items = [{**i, "reference": i["reference"] + " tâga wîcha"} for i in dictionary_items(120, seed=3)]
    rng = random.Random(5)
    lab.suite("stoney-qa", items, language="sto")
    lab.checkpoint("champ", {i["id"]: corrupt(i["reference"], 0.5, rng) for i in items})
    lab.checkpoint("cand", {i["id"]: unmarked(i["reference"]) for i in items})
    lab.config(metrics=["chrf", "chrf++", "chrf++_folded", "diacritic_error_rate"],
               guards={"diacritic_error_rate": 0.5})
    config, store = lab.load()
    result = run_gate(config, store, lab.ckpt("cand"), lab.loaded_suites(), champion=lab.ckpt("champ"))
    folded = result.comparison.metric("chrf++_folded")
    assert folded is not None and folded.estimate is not None and folded.estimate.gain > 20
    failed = [c for c in result.decision.checks if c.verdict == "fail"]
    assert result.decision.outcome == "revert"
    assert ("diacritic_error_rate", "guard") in [(c.metric, c.kind) for c in failed]
    assert any("diacritic_error_rate (guard, margin 0.5)" in r and "regressed" in r for r in result.decision.reasons)
