"""Splits and leaks by word: `suites split` output passes `suites contamination` by construction."""

from __future__ import annotations

import json
import random
from pathlib import Path

from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.contamination import check
from evalharness.language import load_language
from evalharness.split import split_by_headword
from evalharness.suites import Item, load_suite

from tests.helpers import write_suite
from tests.seedshapes import made_up_words, write_crlf

runner = CliRunner()


def _seed_shaped_dictionary(tmp_path: Path) -> Path:
    """English-indexed entries whose senses (as in the seed) share glosses across different words, spell one
    word two ways, and mention other words of the language unquoted inside a meaning."""
    rng = random.Random(11)
    words = made_up_words(260, seed=3)
    rows = []
    for i in range(120):
        a, b = words[2 * i], words[2 * i + 1]
        versions = [{"word": a, "grammatical_classification": "active transitive verb", "meaning": f"to do thing {i}"}]
        if i % 4 == 0:    # another word with the very same gloss: the same English question, another answer
            versions.append({"word": b, "grammatical_classification": "verb", "meaning": f"to do thing {i}"})
        elif i % 4 == 1:  # the same word spelt without its nasal mark, same gloss (a spelling variant)
            versions.append({"word": a.replace("â", "a").replace("î", "i").replace("û", "u"),
                             "grammatical_classification": "verb", "meaning": f"to do thing {i}"})
        elif i % 4 == 2:  # a meaning that names another entry's word without quotes
            other = words[2 * rng.randrange(120)]
            versions.append({"word": b, "grammatical_classification": "", "meaning": f"like {other} but slower"})
        rows.append({"english_word": f"thing {i}", "stoney_versions": versions})
    return write_crlf(tmp_path / "english_dictionary.jsonl", rows)


def test_split_output_passes_contamination_with_no_exact_and_no_word_leak(tmp_path: Path) -> None:
    source = _seed_shaped_dictionary(tmp_path)
    suite_dir, test_dir, train = tmp_path / "dict", tmp_path / "heldout", tmp_path / "train.jsonl"
    done = runner.invoke(app, ["suites", "import", "dictionary", str(source), "--out", str(suite_dir),
                               "--allow", "evaluation", "--allow", "training"])
    assert done.exit_code == 0, done.output
    split = runner.invoke(app, ["suites", "split", str(suite_dir), "--test-size", "80", "--seed", "5",
                                "--out-test", str(test_dir), "--out-train", str(train), "--json"])
    assert split.exit_code == 0, split.output
    assert json.loads(split.output)["shared_headwords"] == 0
    report = runner.invoke(app, ["suites", "contamination", str(test_dir), "--training", str(train), "--json"])
    assert report.exit_code == 0, report.output
    counts = json.loads(report.output)["counts"]
    assert counts == {"exact": 0, "near": 0, "word": 0}
    assert json.loads(report.output)["word_level"]["leaked_words"] == 0


def test_same_prompt_and_spelling_variants_stay_on_one_side() -> None:
    sto = load_language("sto")
    items = [Item(id="a", prompt="How do you say 'to boil' in Stoney Nakoda?", reference="aberach"),
             Item(id="b", prompt="How do you say 'to boil' in Stoney Nakoda?", reference="aberhiyach"),
             Item(id="c", prompt="What is the English meaning of `rhaîtach`?", reference="to run",
                  headwords=("rhaîtach",)),
             Item(id="d", prompt="What is the English meaning of `rhâîtach`?", reference="to run",
                  headwords=("rhâîtach",))]
    items += [Item(id=f"x{i}", prompt=f"Question {i} about {w}?", reference=w) for i, w in enumerate(made_up_words(20))]
    for seed in range(8):
        result = split_by_headword(items, test_size=6, seed=seed, language=sto)
        test_ids = {i.id for i in result.test}
        assert ("a" in test_ids) == ("b" in test_ids) and ("c" in test_ids) == ("d" in test_ids)


def test_word_level_leaks_are_counted_with_examples(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "s", [
        {"id": "h1", "prompt": "What does `hnustâch` mean?", "reference": "to complete something"},
        {"id": "h2", "prompt": "What does `wahnuzâgach` mean?", "reference": "to be physically abusive"},
        {"id": "h3", "prompt": "What does `gichiyach` mean?", "reference": "to accompany someone"},
    ], language="sto"))
    training = write_crlf(tmp_path / "train.jsonl", [
        {"messages": [{"role": "user", "content": "How do you finish a task?"},
                      {"role": "assistant", "content": "You would say hnustach, meaning to complete it."}]},
        {"messages": [{"role": "user", "content": "Name a verb of going along."},
                      {"role": "assistant", "content": "Gichiyach is used for accompanying someone."}]},
    ])
    report = check(suite, training)
    assert {h.item_id: (h.kind, h.words) for h in report.hits} == {
        "h1": ("word", ("hnustâch",)), "h3": ("word", ("gichiyach",))}
    assert report.counts() == {"exact": 0, "near": 0, "word": 2}
    assert report.leaked_words is not None and sorted(report.leaked_words) == ["gichiyach", "hnustach"]
    out = runner.invoke(app, ["suites", "contamination", str(tmp_path / "s"), "--training", str(training)])
    assert out.exit_code == 1 and "word 2" in out.output and "h1: word" in out.output
