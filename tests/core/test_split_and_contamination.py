"""Held-out split by headword, and the contamination check."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.contamination import check
from evalharness.split import shared_headwords, split_by_headword
from evalharness.suites import Item, load_suite

from .conftest import TINY_ROWS, write_suite


def _items() -> list[Item]:
    words = [f"word{i}" for i in range(60)]
    # Items share headwords in chains of three, so groups have several members.
    return [Item(id=f"i{i}", prompt=f"What is `{words[i]}`?", reference=f"`{words[i]}` and `{words[i // 3 * 3]}`",
                 headwords=(words[i], words[i // 3 * 3])) for i in range(60)]


def test_split_is_seeded_and_disjoint_by_headword() -> None:
    items = _items()
    a = split_by_headword(items, test_size=20, seed=5)
    b = split_by_headword(items, test_size=20, seed=5)
    c = split_by_headword(items, test_size=20, seed=6)
    assert [i.id for i in a.test] == [i.id for i in b.test]
    assert [i.id for i in a.test] != [i.id for i in c.test]
    assert len(a.test) >= 20 and len(a.test) + len(a.train) == 60
    assert not shared_headwords(a.train, a.test)


def test_bundled_suites_share_no_headword_with_training(repo_root: Path) -> None:
    from evalharness.importers import import_openai_chat

    train = import_openai_chat(repo_root / "checkpoints" / "demo" / "data" / "train.jsonl")
    held_out = load_suite(repo_root / "suites" / "stoney-dictionary-qa").items
    assert not shared_headwords(tuple(train), held_out)
    assert not {i.prompt for i in train} & {i.prompt for i in held_out}


def _training_file(path: Path, pairs: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for q, a in pairs:
            fh.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
                     + "\n")
    return path


def test_contamination_finds_exact_and_near_duplicates(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "s", TINY_ROWS))
    training = _training_file(tmp_path / "train.jsonl", [
        ("what does KEYA mean", "turtle"),                                   # exact after normalisation
        ("Explain -bi, please.", "The suffix -bi makes a noun from a verb!"),  # near duplicate
        ("Something unrelated entirely", "nothing in common here at all"),
    ])
    report = check(suite, training, threshold=90)
    kinds = {h.item_id: h.kind for h in report.hits}
    assert kinds == {"a1": "exact", "a4": "near"}
    assert report.contaminated and report.fraction == 0.5
    assert not check(suite, training, max_fraction=0.6).contaminated


def test_templated_questions_about_other_words_are_not_duplicates(tmp_path: Path) -> None:
    rows = [{"id": "t1", "prompt": "What is the English translation for the Stoney word 'rhumnâ'?",
             "reference": "The English translation for 'rhumnâ' is 'coffee'.", "headwords": ["rhumnâ", "coffee"]}]
    suite = load_suite(write_suite(tmp_path / "s", rows))
    training = _training_file(tmp_path / "train.jsonl", [
        ("What is the English translation for the Stoney word 'abe'?", "The English translation for 'abe' is 'leaf'."),
    ])
    assert check(suite, training, threshold=80).hits == ()
    leaked = _training_file(tmp_path / "leak.jsonl", [
        ("What's the English translation for the Stoney word 'rhumnâ'?", "The English translation of 'rhumnâ' is coffee."),
    ])
    assert [h.kind for h in check(suite, leaked).hits] == ["near"]


def test_contamination_cli_exit_codes(tmp_path: Path) -> None:
    suite_dir = write_suite(tmp_path / "s", TINY_ROWS)
    clean = _training_file(tmp_path / "clean.jsonl", [("Nothing alike", "at all")])
    dirty = _training_file(tmp_path / "dirty.jsonl", [("what does keya mean?", "turtle")])
    runner = CliRunner()
    ok = runner.invoke(app, ["suites", "contamination", str(suite_dir), "--training", str(clean), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["n_flagged"] == 0
    bad = runner.invoke(app, ["suites", "contamination", str(suite_dir), "--training", str(dirty)])
    assert bad.exit_code != 0
