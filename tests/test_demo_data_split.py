"""The demo checkpoints' training data shares no word of the language and no prompt with any held-out suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.config import load_config
from evalharness.contamination import check, item_words, load_training_items, normalise, training_vocabulary
from evalharness.jsonl import read_jsonl
from evalharness.language import load_language
from evalharness.split import shared_headwords
from evalharness.suites import load_suite, parse_item

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "checkpoints" / "demo" / "data" / "train.jsonl"
POOL = ROOT / "checkpoints" / "demo" / "data" / "narrative_pool.jsonl"
# The bundled suites, by name from the embedded default (a user's own suite folder next to them is not checked)
SUITES = [ROOT / "suites" / name for name in load_config(ROOT / "evalharness.toml").run.suites]


@pytest.fixture(scope="module")
def training():
    return tuple(load_training_items(TRAIN))


def test_bundled_suites_are_found() -> None:
    names = {p.name for p in SUITES}
    assert {"stoney-dictionary-qa", "stoney-narrative-demo", "stoney-forms"} <= names


@pytest.mark.parametrize("suite_dir", SUITES, ids=lambda p: p.name)
def test_suite_shares_no_word_and_no_prompt_with_training(training, suite_dir: Path) -> None:
    suite = load_suite(suite_dir)
    sto = suite.language()
    assert sto is not None and sto.code == "sto"
    assert sum(bool(item.headwords) for item in suite.items) >= 0.9 * len(suite.items)
    # no word of the language anywhere in a training row, quoted or not, in any spelling (English glosses
    # quoted in both, such as 'light', are not the subject of a Stoney question and may repeat)
    held_out_words = {key for item in suite.items for key in item_words(item, sto)}
    assert held_out_words and not held_out_words & set(training_vocabulary(list(training), sto))
    train_prompts = {normalise(t.prompt) for t in training}
    assert not [i.id for i in suite.items if normalise(i.prompt) in train_prompts]
    report = check(suite, TRAIN)
    assert report.counts() == {"exact": 0, "near": 0, "word": 0}
    assert report.leaked_words == {}


def test_narrative_pool_is_held_out_too(training) -> None:
    sto = load_language("sto")
    pool = tuple(parse_item(obj, path=POOL, line=line, kind="dictionary_qa") for line, obj in read_jsonl(POOL))
    dictionary = load_suite(ROOT / "suites" / "stoney-dictionary-qa").items
    pool_words = {key for item in pool for key in item_words(item, sto)}
    assert not pool_words & set(training_vocabulary(list(training), sto))
    assert shared_headwords(dictionary, pool, sto) == set()
    prompts = {normalise(t.prompt) for t in training} | {normalise(i.prompt) for i in dictionary}
    assert not [i.id for i in pool if normalise(i.prompt) in prompts]


def test_narrative_demo_is_labelled_as_derived() -> None:
    suite = load_suite(ROOT / "suites" / "stoney-narrative-demo")
    assert suite.meta.kind == "narrative_correction"
    assert "not community-authored" in suite.meta.description
    assert "not community-authored" in suite.meta.provenance.authored_by
    assert suite.meta.governance.allowed_uses == ["evaluation", "publication"]
    assert all("demo-derived" in item.tags and item.disallowed and item.narrative == item.reference
               for item in suite.items)
