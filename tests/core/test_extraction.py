"""Answer extraction: declared per suite, applied before scoring, raw and extracted both scored and stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.checkpoints import load_checkpoint
from evalharness.config import Config, MetricsConfig
from evalharness.errors import InputError
from evalharness.extraction import ExtractionSpec, extract
from evalharness.language import load_language
from evalharness.runner import Runner
from evalharness.store.answers import extracted_answers
from evalharness.suites import load_suite

from tests.helpers import write_replay, write_suite

DEMO_ANSWER = ("The direct translation for 'git' is `warhtâ`, which is an active transitive verb meaning "
               "'to do something'.")


@pytest.mark.parametrize(("method", "extra", "text", "expected"), [
    ("backticked", {}, DEMO_ANSWER, "warhtâ"),
    ("quoted", {}, DEMO_ANSWER, "to do something"),
    ("quoted", {"which": "first"}, DEMO_ANSWER, "git"),
    ("boxed", {}, "So the form is \\boxed{tâga}.", "tâga"),
    ("final_answer", {}, "It is a verb.\nFinal answer: hnustâch.", "hnustâch"),
    ("last_line", {}, "Thinking about it…\n\nwîcha\n", "wîcha"),
    ("regex", {"pattern": r"is `([^`]+)`"}, DEMO_ANSWER, "warhtâ"),
    ("quoted", {"language_only": True}, "The Stoney word for 'big' is 'tâga', not 'big'.", "tâga"),
])
def test_each_method(method: str, extra: dict, text: str, expected: str) -> None:
    found = extract(text, ExtractionSpec(method=method, **extra), load_language("sto"))
    assert found.text == expected and found.reason is None


def test_nothing_to_extract_is_a_failure_with_its_reason() -> None:
    found = extract("I do not know.", ExtractionSpec(method="backticked"))
    assert found.text is None and "no backticked answer" in (found.reason or "")


def test_a_bad_extraction_in_suite_toml_names_the_field(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", [{"id": "1", "prompt": "p", "reference": "r"}])
    toml = (folder / "suite.toml").read_text(encoding="utf-8")
    (folder / "suite.toml").write_text(toml + '\n[extraction]\nmethod = "regex"\npattern = "(unclosed"\n',
                                       encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_suite(folder)
    assert info.value.field == "extraction" and "does not compile" in str(info.value)


def test_runner_scores_raw_and_extracted_answers_and_stores_both(tmp_path: Path, store) -> None:
    rows = [{"id": "f1", "prompt": "How do you say 'to do' in Stoney Nakoda?", "reference": "warhtâ"},
            {"id": "f2", "prompt": "How do you say 'big' in Stoney Nakoda?", "reference": "tâga"},
            {"id": "f3", "prompt": "How do you say 'man' in Stoney Nakoda?", "reference": "wîcha"}]
    folder = write_suite(tmp_path / "forms", rows, language="sto")
    (folder / "suite.toml").write_text((folder / "suite.toml").read_text(encoding="utf-8")
                                       + '\n[extraction]\nmethod = "backticked"\n', encoding="utf-8")
    replies = {"f1": DEMO_ANSWER, "f2": "In Stoney, 'big' is `tâga`, an adjective.", "f3": "I do not know that one."}
    checkpoint = load_checkpoint(write_replay(tmp_path / "ck", replies))
    config = Config(metrics=MetricsConfig(enabled=["chrf", "chrf_folded", "exact_match"], required=["chrf"],
                                          on_extracted=["chrf", "exact_match"]))
    result = Runner(config, store).run(checkpoint, load_suite(folder))
    metrics = result.metrics
    assert set(metrics) == {"chrf", "chrf_folded", "exact_match", "chrf@extracted", "exact_match@extracted"}
    assert metrics["exact_match"]["corpus_score"] == 0.0
    assert metrics["exact_match@extracted"]["corpus_score"] == pytest.approx(200 / 3)
    assert metrics["chrf@extracted"]["corpus_score"] > 3 * metrics["chrf"]["corpus_score"]
    assert "extracted:backticked:last" in metrics["chrf@extracted"]["signature"]
    # the item with nothing to extract is scored as the empty answer, and counted
    assert metrics["chrf@extracted"]["n_scored"] == 3
    summary = store.query("SELECT summary_json FROM runs WHERE run_id = ?", [result.run_id])[0][0]
    assert '"extraction": {"extracted": 2, "failed": 1, "failed_items": ["f3"]' in summary
    stored = extracted_answers(store, result.run_id)
    assert stored["f1"]["text"] == "warhtâ" and stored["f3"]["status"] == "failed" and stored["f3"]["text"] is None
    raw = store.query("SELECT g.text FROM run_items r JOIN generations g USING (cache_key) "
                      "WHERE r.run_id = ? AND r.item_id = 'f1'", [result.run_id])
    assert raw == [(DEMO_ANSWER,)]
    again = Runner(config, store).run(checkpoint, load_suite(folder))
    assert again.reused and again.run_id == result.run_id
