"""Invented words: words of the language an answer uses that the community's lexicon does not know."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evalharness.checkpoints import load_checkpoint
from evalharness.config import Config, LanguageSettings, MetricsConfig
from evalharness.language import load_language
from evalharness.language.lexicon import load_lexicon
from evalharness.metrics import ScoringInput, build_metric
from evalharness.runner import Runner
from evalharness.store.answers import invented_words
from evalharness.suites import Item, load_suite

from tests.helpers import write_replay, write_suite
from tests.seedshapes import write_crlf

STO = load_language("sto")
FIXTURES = Path(__file__).parent / "fixtures"
# A word only the lexicon holds: it must never reach the store, an export or a request.
SECRET = "wazîyathîbich"


def _lexicon(tmp_path: Path) -> Path:
    path = tmp_path / "community-lexicon.txt"
    path.write_text(f"# the community's word list\ntâga\nwîcha\nhnustâch  # to finish\n{SECRET}\n", encoding="utf-8")
    return path


def _inputs(answers: list[str | None]) -> list[ScoringInput]:
    return [ScoringInput(item=Item(id=f"i{n}", prompt="p", reference="r"), hypothesis=a) for n, a in enumerate(answers)]


def test_unknown_words_are_counted_and_listed(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "s", [{"id": "1", "prompt": "p", "reference": "r"}], language="sto"))
    metric = build_metric("invented_words", Config(languages={
        "sto": LanguageSettings(lexicon=str(_lexicon(tmp_path)))}), suite)
    answers = ["The word tâga means big; WICHA is man.",   # known, and known in another spelling
               "It is rhabâziyach or gugûtach.",          # two made-up words
               "No Stoney here at all.", None]
    stats = metric.item_stats(_inputs(answers))
    assert [s.stats for s in stats[:3]] == [(0.0, 2.0), (2.0, 2.0), (0.0, 0.0)]
    assert stats[3].status == "failed"
    assert metric.details == {"i1": ["rhabâziyach", "gugûtach"]}
    assert metric.score(np.sum([s.stats for s in stats[:3]], axis=0)) == pytest.approx(50.0)
    assert SECRET not in metric.signature() and "lexicon:sha256:" in metric.signature()


def test_an_analyser_knows_inflected_forms(tmp_path: Path) -> None:
    lexicon = load_lexicon(_lexicon(tmp_path), STO, analyser=FIXTURES / "sto.hfstol")
    assert lexicon.knows("ogihisîch", STO)          # not in the word list: the transducer analyses it
    assert not lexicon.knows("rhabâziyach", STO)
    assert not load_lexicon(_lexicon(tmp_path), STO).knows("ogihisîch", STO)


def test_without_a_lexicon_nothing_is_measured(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "s", [{"id": "1", "prompt": "p", "reference": "r"}], language="sto"))
    [stat] = build_metric("invented_words", Config(), suite).item_stats(_inputs(["tâga"]))
    assert stat.status == "not_scored" and "[languages.sto] lexicon" in (stat.reason or "")


def test_a_lexicon_from_approved_training_rows(tmp_path: Path) -> None:
    train = write_crlf(tmp_path / "train.jsonl", [{"messages": [
        {"role": "user", "content": "What does hnustâch mean?"},
        {"role": "assistant", "content": "hnustâch means 'to complete something', like ogihich."}]}])
    lexicon = load_lexicon(train, STO)
    assert lexicon.knows("hnustach", STO) and lexicon.knows("ogihich", STO) and not lexicon.knows("tâga", STO)


def test_a_run_lists_invented_words_and_never_stores_the_lexicon(tmp_path: Path, store) -> None:
    folder = write_suite(tmp_path / "s", [{"id": "1", "prompt": "Say big.", "reference": "tâga"},
                                          {"id": "2", "prompt": "Say man.", "reference": "wîcha"}], language="sto")
    checkpoint = load_checkpoint(write_replay(tmp_path / "ck", {"1": "It is tâga.", "2": "It is rhabâziyach."}))
    config = Config(metrics=MetricsConfig(enabled=["chrf", "invented_words"], required=["chrf"]),
                    languages={"sto": LanguageSettings(lexicon=str(_lexicon(tmp_path)))})
    result = Runner(config, store).run(checkpoint, load_suite(folder))
    assert result.metrics["invented_words"]["corpus_score"] == pytest.approx(50.0)
    assert invented_words(store, result.run_id) == {"2": ["rhabâziyach"]}
    # every row of every table of the store (the DuckDB file or the PostgreSQL schema)
    tables = [r[0] for r in store.query("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = current_schema()")]
    assert "invented_words" in tables
    dump = " ".join(str(store.query(f'SELECT * FROM "{t}"')) for t in tables)
    assert "rhabâziyach" in dump and SECRET not in dump and "community-lexicon" not in dump
