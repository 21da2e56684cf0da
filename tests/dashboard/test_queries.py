"""The read side: overview, compare (checked against a plain recomputation), item detail, judge detection."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evalharness.community import compare, items, overview, reviews
from evalharness.store import Store

from . import demo_db


@pytest.fixture
def store(demo_store: Store) -> Store:
    return demo_store


def _choice(store: Store, name: str) -> compare.CheckpointChoice:
    return next(c for c in compare.checkpoints(store) if c.name == name)


def test_overview_champion_decisions_trends_and_suites(store: Store) -> None:
    champ = overview.current_champion(store)
    assert champ is not None and champ.checkpoint_name == demo_db.CHAMPION
    decisions = overview.recent_decisions(store)
    assert [d.decision for d in decisions] == ["revert", "advance"]  # newest first
    assert "chrF++ fell by 9.8" in decisions[0].reasons[0]
    trends = overview.metric_trends(store)
    assert list(dict.fromkeys(trends["checkpoint"])) == ["stoney-base", "stoney-v2", "stoney-v3-lora"]
    bpc = trends[trends["metric"] == "bits_per_char"]
    assert bpc["score"].isna().all() and (bpc["status"] == "unsupported").all()  # a gap, never a zero
    table = overview.latest_scores(trends)
    assert set(table["bits_per_char"]) == {"not measured"}
    by_name = {s.name: s for s in overview.suites(store)}
    narrative = by_name["stoney-narrative-mini"]
    assert narrative.kind == "narrative_correction"
    assert narrative.allowed_uses == ("evaluation", "training")
    assert "external_generation" in narrative.denied_uses
    assert narrative.provenance["credit"] == "Stoney Nakoda community"


def _expected(store: Store, cand_run: str, champ_run: str, metric: str) -> pd.DataFrame:
    """The same comparison done naively in pandas, to check the SQL against."""
    frame = store.frame("SELECT run_id, item_id, score FROM item_scores WHERE metric = ? AND run_id IN (?, ?)",
                        [metric, cand_run, champ_run])
    wide = frame.pivot(index="item_id", columns="run_id", values="score")
    return (wide[cand_run] - wide[champ_run]).rename("delta").reset_index()


def test_compare_matches_a_plain_recomputation_and_sorts_worst_first(store: Store) -> None:
    cand, champ = _choice(store, "stoney-v3-lora"), _choice(store, demo_db.CHAMPION)
    pairs = compare.run_pairs(store, cand.identity, champ.identity)
    assert [p.suite_name for p in pairs] == ["stoney-dictionary-mini", "stoney-narrative-mini"]
    filters = compare.CompareFilters(metric="chrf++")
    rows = compare.page(store, pairs, filters, True, limit=100)
    expected = pd.concat([_expected(store, p.candidate_run, p.champion_run, "chrf++") for p in pairs])
    merged = rows.merge(expected, on="item_id", suffixes=("", "_expected"))
    assert len(merged) == len(expected) == 16
    scored = merged[merged["delta_expected"].notna()]
    assert (scored["delta"] - scored["delta_expected"]).abs().max() < 1e-9
    deltas = list(rows["delta"].dropna())
    assert deltas == sorted(deltas) and deltas[0] < 0  # biggest regression first
    assert rows["delta"].isna().tolist()[-1]  # the failed item (dq-12) comes last, not as a zero
    assert rows.iloc[-1]["item_id"] == "dq-12" and rows.iloc[-1]["outcome"] == "unscored"
    assert "no recorded reply" in rows.iloc[-1]["reason"]
    summary = compare.summary(store, pairs, filters, True)
    assert summary.n_items == 16 and summary.unscored == 1
    assert summary.worse == int((scored["delta_expected"] < -1e-9).sum())
    assert summary.better == int((scored["delta_expected"] > 1e-9).sum())
    # The answers come along, with their diacritics intact.
    first_dq01 = rows[rows["item_id"] == "dq-01"].iloc[0]
    assert "îjadaṯẖe" in first_dq01["champion_answer"]


def test_compare_filters_and_paging(store: Store) -> None:
    cand, champ = _choice(store, "stoney-v3-lora"), _choice(store, demo_db.CHAMPION)
    pairs = compare.run_pairs(store, cand.identity, champ.identity)
    dictionary = pairs[0].suite_hash
    noun = compare.page(store, pairs, compare.CompareFilters(metric="chrf++", tag="noun"), True, limit=50)
    assert set(noun["item_id"]) == {"dq-01", "dq-02", "dq-08", "dq-09"}
    en_sto = compare.page(store, pairs, compare.CompareFilters(metric="chrf++", direction="en-sto",
                                                               suite_hash=dictionary), True, limit=50)
    assert set(en_sto["direction"]) == {"en-sto"} and set(en_sto["suite_hash"]) == {dictionary}
    worse = compare.page(store, pairs, compare.CompareFilters(metric="chrf++", show="worse"), True, limit=50)
    assert (worse["change"] < 0).all() and len(worse) == compare.summary(
        store, pairs, compare.CompareFilters(metric="chrf++"), True).worse
    everything = compare.page(store, pairs, compare.CompareFilters(metric="chrf++"), True, limit=50)
    paged = pd.concat([compare.page(store, pairs, compare.CompareFilters(metric="chrf++"), True, limit=5, offset=o)
                       for o in range(0, 20, 5)])
    assert list(paged["item_id"]) == list(everything["item_id"])


def test_lower_is_better_metric_flips_the_sign(store: Store) -> None:
    cand, champ = _choice(store, "stoney-v3-lora"), _choice(store, demo_db.CHAMPION)
    pairs = compare.run_pairs(store, cand.identity, champ.identity)
    up = compare.page(store, pairs, compare.CompareFilters(metric="chrf"), True, limit=50)
    down = compare.page(store, pairs, compare.CompareFilters(metric="chrf"), False, limit=50)
    scored = up.dropna(subset=["delta"]).set_index("item_id")
    flipped = down.dropna(subset=["delta"]).set_index("item_id")
    assert (scored["change"] == -flipped.loc[scored.index, "change"]).all()


def test_checkpoints_never_paired_across_suite_versions(store: Store, tmp_path: Path) -> None:
    from evalharness.runner import Runner
    from evalharness.suites import make_suite

    meta = _load_meta(store, "stoney-dictionary-mini").model_copy(update={"version": "2.0.0"})
    demo_suite = make_suite(meta, _suite_items(store, "stoney-dictionary-mini"))
    ckpt = demo_db.checkpoint(tmp_path, "stoney-base", [demo_suite], variant=" (new)")
    Runner(demo_db.config(), store).run(ckpt, demo_suite)
    newest = next(c for c in compare.checkpoints(store) if c.identity == ckpt.identity)
    pairs = compare.run_pairs(store, newest.identity, _choice(store, demo_db.CHAMPION).identity)
    assert pairs == []  # v2.0.0 of the suite was never run by the champion


def _load_meta(store: Store, name: str):
    from evalharness.suites import SuiteMeta

    meta_json = store.query("SELECT meta_json FROM suites WHERE name = ?", [name])[0][0]
    return SuiteMeta.model_validate_json(meta_json)


def _suite_items(store: Store, name: str):
    from evalharness.suites import Item

    rows = store.query("SELECT item_id, prompt, reference, direction, tags FROM suite_items JOIN suites "
                       "USING (suite_hash) WHERE name = ? ORDER BY position", [name])
    return [Item(id=i, prompt=p, reference=r, direction=d, tags=tuple(t)) for i, p, r, d, t in rows]


def test_item_detail_has_every_answer_every_score_and_no_judge_without_its_table(store: Store) -> None:
    dictionary = next(s for s in overview.suites(store) if s.name == "stoney-dictionary-mini")
    detail = items.item_detail(store, dictionary.suite_hash, "dq-12")
    assert detail is not None and detail.item.prompt == "What is 'îjiktûtha' used for?"
    by_name = {a.checkpoint_name: a for a in detail.answers}
    assert set(by_name) == {"stoney-base", "stoney-v2", "stoney-v3-lora"}
    assert by_name["stoney-v3-lora"].text is None and "no recorded reply" in by_name["stoney-v3-lora"].error
    table = items.score_table(detail.scores)
    assert 0 < float(table.loc["chrf++", "stoney-v2"]) <= 100
    assert table.loc["chrf++", "stoney-v3-lora"] == "failed"
    assert table.loc["bits_per_char", "stoney-base"] == "not measured"
    assert detail.judge is None


def test_judge_rationale_and_instability_when_the_judge_saw_the_run(store: Store, demo: demo_db.Demo) -> None:
    run_id = demo.run_ids[("stoney-v2", "stoney-dictionary-mini")]
    demo_db.add_judge_verdict(store, run_id, "dq-03", rationale="Uses îjadaṯẖe but misses the story.", grades=(2, 4))
    detail = items.item_detail(store, demo.dictionary.content_hash, "dq-03")
    assert detail.judge is not None and len(detail.judge) == 2  # one row per sample
    first = detail.judge[0]
    assert first["rationale"] == "Uses îjadaṯẖe but misses the story." and first["grade"] == 2
    assert first["checkpoint"] == "stoney-v2" and first["cas"] == 50.0 and bool(first["unstable"])
    other = items.item_detail(store, demo.dictionary.content_hash, "dq-05")
    assert other.judge == ()  # the judge saw this run, not this item
    queue = reviews.review_queue(store, run_id, demo_db.REVIEWER)
    assert queue[0].item_id == "dq-03" and queue[0].unstable  # unstable first


def test_review_queue_orders_unscored_then_lowest_and_skips_failed(store: Store, demo: demo_db.Demo) -> None:
    run_id = demo.run_ids[("stoney-v3-lora", "stoney-dictionary-mini")]
    queue = reviews.review_queue(store, run_id, demo_db.REVIEWER)
    assert "dq-12" not in {r.item_id for r in queue}  # no answer: nothing to rate
    scores = [r.score for r in queue]
    assert scores == sorted(scores)
    counts = reviews.queue_counts(store, run_id, demo_db.REVIEWER)
    assert (counts.answers, counts.no_answer, counts.done, counts.waiting) == (11, 1, 0, 11)
    # Remove one answer's score: it has an answer nobody could score, so it goes first.
    with store.transaction() as con:
        con.execute("UPDATE item_scores SET status = 'failed', score = NULL, stats = NULL, reason = 'test' "
                    "WHERE run_id = ? AND item_id = 'dq-10' AND metric = 'chrf++'", [run_id])
    assert reviews.review_queue(store, run_id, demo_db.REVIEWER)[0].item_id == "dq-10"


def test_a_run_still_in_progress_is_left_out_of_compare(store: Store, demo) -> None:
    run_id = demo.run_ids[("stoney-v3-lora", "stoney-dictionary-mini")]
    with store.transaction() as con:
        con.execute("UPDATE runs SET status = 'running' WHERE run_id = ?", [run_id])
    cand, champ = _choice(store, "stoney-v3-lora"), _choice(store, demo_db.CHAMPION)
    assert [p.suite_name for p in compare.run_pairs(store, cand.identity, champ.identity)] == \
        ["stoney-narrative-mini"]
