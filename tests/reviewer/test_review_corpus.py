import os
import time

from evalharness.reviewer import corpus_builder
from evalharness.store import Store

from .conftest import CHAMPION_RUN_ID, DECISION_ID, ITEM_CANARY, REASON, RUN_ID


def _by_label(corpus):
    return {p.label: p for p in corpus.passages}


def test_corpus_reads_docs_metadata_rubric_and_results(project):
    corpus = corpus_builder(project.config()).current()
    labels = _by_label(corpus)
    assert set(corpus.files) == {"README.md", "docs/gate.md", "docs/notes.md", "suites/open-suite/README.md",
                                 "suites/open-suite/suite.toml", "suites/closed-suite/suite.toml",
                                 "checkpoints/README.md", "rubrics/cas.toml"}
    assert "docs/gate.md > The gate > Policy" in labels
    assert labels["suites/closed-suite/suite.toml > governance"].kind == "suite_meta"
    assert labels["rubrics/cas.toml > grades"].kind == "rubric"
    run = labels[f"run:{RUN_ID}"].text
    assert "stoney-v2" in run and "chrf++: 22.210" in run and "en-sto 21.210" in run
    assert "token_perplexity: no score (unsupported: the replay backend gives no log-likelihoods)" in run
    decision = labels[f"decision:{DECISION_ID}"].text
    assert "revert (exit code 1)" in decision and REASON in decision and RUN_ID in decision
    report = labels[f"decision:{DECISION_ID} > Gate report: stoney-v2 against stoney-base > Metrics"]
    assert "| chrF++ | -2.10 |" in report.text
    assert "Current champion: stoney-base" in labels["champions"].text
    assert f"run:{CHAMPION_RUN_ID}" in labels


def test_suite_items_never_enter_the_corpus(project):
    config = project.config(sources=["suites/*/*", "**/*.md", "**/*.toml"])
    corpus = corpus_builder(config).current()
    assert not any(ITEM_CANARY in p.text for p in corpus.passages)
    skipped = {s.source: s.reason for s in corpus.skipped}
    assert "never sent" in skipped["suites/open-suite/items.jsonl"]
    # the closed suite does not allow publication, and its README quotes an item
    assert "publication" in skipped["suites/closed-suite/README.md"]
    assert "suites/open-suite/README.md" in corpus.files


def test_without_a_store_the_corpus_says_so(project, tmp_path, monkeypatch):
    config = project.config()
    monkeypatch.setenv("EVALHARNESS_DB", str(tmp_path / "missing.duckdb"))
    corpus = corpus_builder(config).current()
    assert not corpus.results
    assert any(s.source == "store" and "no store" in s.reason for s in corpus.skipped)
    assert not (tmp_path / "missing.duckdb").exists()  # reading never creates a store


def test_rebuilt_only_when_a_source_changes(project):
    builder = corpus_builder(project.config())
    first = builder.current()
    assert builder.current() is first and builder.builds == 1
    doc = project.root / "docs" / "gate.md"
    doc.write_text(doc.read_text() + "\n## Converged\n\nGains below epsilon for 3 rounds.\n")
    os.utime(doc, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    second = builder.current()
    assert second is not first and builder.builds == 2
    assert "docs/gate.md > The gate > Converged" in _by_label(second)
    with Store(project.db).transaction() as con:
        con.execute("INSERT INTO decisions (decision_id, candidate, candidate_identity, candidate_run_ids, "
                    "champion_run_ids, decision, exit_code, reasons_json, stats_json, policy_json, seed, report_md) "
                    "VALUES ('dec-0002', 'stoney-v3-lora', 'id3', [], [], 'advance', 0, '[\"all good\"]', '{}', "
                    "'{}', 1, '# Report')")
    third = builder.current()
    assert builder.builds == 3 and "decision:dec-0002" in _by_label(third)
    assert builder.current() is third


def test_source_globs_must_stay_inside_the_root():
    import pytest
    from pydantic import ValidationError

    from evalharness.config import ReviewerConfig

    with pytest.raises(ValidationError, match="inside the project root"):
        ReviewerConfig(sources=["../other/*.md"])
