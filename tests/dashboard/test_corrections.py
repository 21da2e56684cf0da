"""Ratings and corrections: who and when, admin decisions, the three exports, re-import, and publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalharness.community import exports, reviews
from evalharness.community.accounts import PermissionDenied
from evalharness.community.publish import bump, publish_corrections
from evalharness.errors import InputError
from evalharness.store import Store
from evalharness.suites import Governance, Provenance, SuiteMeta, load_suite, meta_to_toml, save_suite

from . import demo_db


@pytest.fixture
def store(demo_store: Store) -> Store:
    return demo_store


def _target(store: Store, demo: demo_db.Demo, item_id: str = "nc-02",
            checkpoint: str = "stoney-base", suite: str = "stoney-narrative-mini") -> reviews.ReviewTarget:
    target = reviews.target(store, demo.run_ids[(checkpoint, suite)], item_id)
    assert target is not None
    return target


def test_save_review_records_who_and_when_in_one_transaction(store: Store, demo: demo_db.Demo) -> None:
    target = _target(store, demo)
    saved = reviews.save_review(store, demo_db.REVIEWER, target, verdict="wrong", cas_rating=2,
                                narrative="The word is îjadaṯẖe.\nIt names the broom used to sweep the home.")
    rating = store.query("SELECT run_id, item_id, checkpoint_name, candidate_text, verdict, cas_rating, rater, "
                         "source, created_at FROM ratings")
    assert rating == [(target.run_id, "nc-02", "stoney-base", target.answer, "wrong", 2, demo_db.REVIEWER,
                       "dashboard", saved.saved_at)]
    correction = reviews.list_corrections(store)[0]
    assert correction.author == demo_db.REVIEWER and correction.created_at == saved.saved_at
    assert correction.status == "pending" and correction.disallowed == target.answer
    assert correction.narrative.startswith("The word is îjadaṯẖe.")
    assert correction.prompt == "How do you say 'broom' in Stoney?"


def test_save_review_rejects_bad_input_and_unknown_accounts(store: Store, demo: demo_db.Demo) -> None:
    target = _target(store, demo)
    with pytest.raises(InputError, match="nothing to save"):
        reviews.save_review(store, demo_db.REVIEWER, target, narrative="   ")
    with pytest.raises(InputError, match="1 to 5"):
        reviews.save_review(store, demo_db.REVIEWER, target, cas_rating=6)
    with pytest.raises(InputError, match="verdict"):
        reviews.save_review(store, demo_db.REVIEWER, target, verdict="maybe")
    with pytest.raises(PermissionDenied):
        reviews.save_review(store, "Not A Reviewer", target, verdict="right")
    assert store.query("SELECT count(*) FROM ratings")[0][0] == 0


def test_a_rating_alone_and_a_correction_alone(store: Store, demo: demo_db.Demo) -> None:
    target = _target(store, demo)
    only_rating = reviews.save_review(store, demo_db.REVIEWER, target, cas_rating=4)
    only_correction = reviews.save_review(store, demo_db.REVIEWER, target, narrative="Better words.")
    assert only_rating.correction_id is None and only_rating.rating_id
    assert only_correction.rating_id is None and only_correction.correction_id
    assert store.query("SELECT verdict, cas_rating FROM ratings") == [(None, 4)]


def test_only_an_admin_decides_and_the_decision_is_recorded(store: Store, demo: demo_db.Demo) -> None:
    saved = reviews.save_review(store, demo_db.REVIEWER, _target(store, demo), narrative="A better answer.")
    with pytest.raises(PermissionDenied, match="only an admin"):
        reviews.review_correction(store, demo_db.REVIEWER, saved.correction_id, "accepted")
    reviews.review_correction(store, demo_db.ADMIN, saved.correction_id, "accepted", note="good")
    c = reviews.list_corrections(store, "accepted")[0]
    assert (c.status, c.reviewed_by, c.note) == ("accepted", demo_db.ADMIN, "good") and c.reviewed_at is not None
    reviews.review_correction(store, demo_db.ADMIN, saved.correction_id, "pending")
    c = reviews.list_corrections(store)[0]
    assert (c.status, c.reviewed_by, c.reviewed_at) == ("pending", None, None)
    with pytest.raises(InputError, match="no correction"):
        reviews.review_correction(store, demo_db.ADMIN, "cor-missing", "accepted")
    assert reviews.correction_counts(store) == {"pending": 1, "accepted": 0, "rejected": 0}


def _accepted(store: Store, demo: demo_db.Demo, specs: list[tuple[str, str]]) -> list[str]:
    ids = []
    for item_id, narrative in specs:
        target = _target(store, demo, item_id)
        saved = reviews.save_review(store, demo_db.REVIEWER, target, narrative=narrative)
        reviews.review_correction(store, demo_db.ADMIN, saved.correction_id, "accepted")
        ids.append(saved.correction_id)
    return ids


def test_exports_have_the_three_shapes(store: Store, demo: demo_db.Demo, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no accepted corrections"):
        exports.export_file(store, "triplets", tmp_path / "empty.jsonl")
    assert not (tmp_path / "empty.jsonl").exists()
    [cid] = _accepted(store, demo, [("nc-03", "'rhumnâ' is coffee, shared when visiting.")])
    target = _target(store, demo, "nc-03")
    assert exports.export_file(store, "triplets", tmp_path / "t.jsonl") == 1
    triplet = json.loads((tmp_path / "t.jsonl").read_text(encoding="utf-8"))
    assert triplet == {"id": cid, "prompt": "What is 'rhumnâ'?", "disallowed": target.answer,
                       "narrative": "'rhumnâ' is coffee, shared when visiting.", "direction": "sto-en",
                       "tags": ["story", "reviewer-correction", "item:nc-03"]}
    assert "rhumnâ" in (tmp_path / "t.jsonl").read_text(encoding="utf-8")  # characters, not \\u escapes
    chat = json.loads(exports.export_text(store, "openai-chat"))
    assert chat == {"messages": [{"role": "user", "content": "What is 'rhumnâ'?"},
                                 {"role": "assistant", "content": "'rhumnâ' is coffee, shared when visiting."}]}
    pref = json.loads(exports.export_text(store, "preference"))
    assert pref == {"id": cid, "prompt": "What is 'rhumnâ'?", "chosen": "'rhumnâ' is coffee, shared when visiting.",
                    "rejected": target.answer}
    with pytest.raises(InputError, match="unknown export format"):
        exports.export_text(store, "csv")


def test_pending_and_rejected_corrections_are_never_exported(store: Store, demo: demo_db.Demo) -> None:
    _accepted(store, demo, [("nc-01", "accepted one")])
    pending = reviews.save_review(store, demo_db.REVIEWER, _target(store, demo, "nc-02"), narrative="pending one")
    rejected = reviews.save_review(store, demo_db.REVIEWER, _target(store, demo, "nc-03"), narrative="rejected one")
    reviews.review_correction(store, demo_db.ADMIN, rejected.correction_id, "rejected")
    rows = exports.export_rows(store, "triplets")
    assert [r["narrative"] for r in rows] == ["accepted one"]
    assert pending.correction_id not in {r["id"] for r in rows}


def test_exported_triplets_reimport_as_a_narrative_suite(store: Store, demo: demo_db.Demo, tmp_path: Path) -> None:
    ids = _accepted(store, demo, [("nc-01", "'hûji ethen' means hurry up; said kindly when it is time to go."),
                                  ("nc-02", "The word is îjadaṯẖe: the broom.")])
    path = tmp_path / "triplets.jsonl"
    exports.export_file(store, "triplets", path)
    # As a suite folder: the triplets file is the items file, unchanged.
    folder = tmp_path / "reimported"
    folder.mkdir()
    path.replace(folder / "items.jsonl")
    meta = SuiteMeta(name="reimported", version="1.0.0", kind="narrative_correction", description="re-import",
                     license="test", provenance=Provenance(source="triplets export"),
                     governance=Governance(allowed_uses=["evaluation"]))
    (folder / "suite.toml").write_text(meta_to_toml(meta), encoding="utf-8")
    suite = load_suite(folder)
    assert [i.id for i in suite.items] == ids
    by_id = {c.correction_id: c for c in reviews.list_corrections(store, "accepted")}
    for item in suite.items:
        c = by_id[item.id]
        assert (item.prompt, item.disallowed, item.narrative, item.reference) == \
            (c.prompt, c.disallowed, c.narrative, c.narrative)
    # And through the library helper, which applies the same line-by-line checks.
    again = exports.triplets_to_suite(folder / "items.jsonl", meta)
    assert again.items == suite.items and again.content_hash == suite.content_hash


def test_publish_versions_credits_and_governance(store: Store, demo: demo_db.Demo, tmp_path: Path) -> None:
    out = tmp_path / "suites" / "stoney-narrative-corrections"
    with pytest.raises(InputError, match="no accepted corrections"):
        publish_corrections(store, out, name="stoney-narrative-corrections", published_by=demo_db.ADMIN)
    first_ids = _accepted(store, demo, [("nc-01", "'hûji ethen' means hurry up."), ("nc-02", "îjadaṯẖe: broom.")])
    first = publish_corrections(store, out, name="stoney-narrative-corrections", published_by=demo_db.ADMIN)
    assert first.changed and first.suite.meta.version == "1.0.0" and first.n_added == 2
    loaded = load_suite(out)
    assert loaded.content_hash == first.suite.content_hash and [i.id for i in loaded.items] == first_ids
    meta = loaded.meta
    assert meta.kind == "narrative_correction"
    assert meta.provenance.reviewers == sorted([demo_db.ADMIN, demo_db.REVIEWER])
    today = store.query("SELECT current_date")[0][0].isoformat()
    assert f"{demo_db.REVIEWER} wrote 2 correction(s), {today}" in meta.provenance.notes
    assert f"{demo_db.ADMIN} accepted 2 correction(s), {today}" in meta.provenance.notes
    assert "stoney-narrative-mini 1.0.0" in meta.provenance.notes
    # Governance travels from the source suite (narrative-mini allows evaluation and training only).
    assert meta.governance.allowed_uses == ["evaluation", "training"]
    assert meta.governance.review_contact == "Stoney language governance"
    assert store.query("SELECT version FROM suites WHERE name = 'stoney-narrative-corrections'") == [("1.0.0",)]

    same = publish_corrections(store, out, name="stoney-narrative-corrections", published_by=demo_db.ADMIN)
    assert not same.changed and load_suite(out).meta.version == "1.0.0"

    _accepted(store, demo, [("nc-03", "'rhumnâ' is coffee.")])
    reviews.review_correction(store, demo_db.ADMIN, first_ids[0], "rejected")
    second = publish_corrections(store, out, name="stoney-narrative-corrections", published_by=demo_db.ADMIN)
    assert second.suite.meta.version == "1.1.0" and second.previous_version == "1.0.0"
    assert (second.n_added, second.n_removed, second.n_items) == (1, 1, 2)
    assert first_ids[0] not in {i.id for i in load_suite(out).items}


def test_publish_keeps_hand_made_items_of_the_previous_version(store: Store, demo: demo_db.Demo,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "corrections-suite"
    _accepted(store, demo, [("nc-01", "first")])
    publish_corrections(store, out, name="c", published_by=demo_db.ADMIN)
    suite = load_suite(out)
    from evalharness.suites import Item, make_suite

    hand = Item(id="hand-1", prompt="A question an elder wrote", reference="Her answer", direction="explain",
                disallowed="a wrong answer", narrative="Her answer")
    save_suite(make_suite(suite.meta, list(suite.items) + [hand]), out)
    _accepted(store, demo, [("nc-02", "second")])
    result = publish_corrections(store, out, name="c", published_by=demo_db.ADMIN)
    assert "hand-1" in {i.id for i in result.suite.items} and result.n_items == 3


def test_publish_refuses_a_folder_holding_another_kind_of_suite(store: Store, demo: demo_db.Demo) -> None:
    _accepted(store, demo, [("nc-01", "first")])
    with pytest.raises(InputError, match="not a narrative-correction suite"):
        publish_corrections(store, demo.dictionary_path, name="x", published_by=demo_db.ADMIN)


def test_unknown_source_suite_allows_nothing(store: Store, demo: demo_db.Demo, tmp_path: Path) -> None:
    _accepted(store, demo, [("nc-01", "first")])
    with store.transaction() as con:
        con.execute("UPDATE corrections SET suite_hash = NULL")
    result = publish_corrections(store, tmp_path / "s", name="s", published_by=demo_db.ADMIN)
    assert result.suite.meta.governance.allowed_uses == []


def test_bump() -> None:
    assert bump("1.0.0") == "1.1.0" and bump("2.9") == "2.10.0"
    with pytest.raises(InputError):
        bump("spring-2026")
