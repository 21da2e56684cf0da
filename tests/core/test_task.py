"""A suite may declare the metrics it is scored with; the task follows it, and a bad name is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.checkpoints import load_checkpoint
from evalharness.config import Config, MetricsConfig
from evalharness.errors import InputError
from evalharness.runner import Runner
from evalharness.suites import load_suite

from .conftest import TINY_ROWS, write_replay, write_suite


def _suite_with_metrics(folder: Path, line: str) -> Path:
    write_suite(folder, TINY_ROWS)
    toml = folder / "suite.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('license = "test"\n', f'license = "test"\n{line}\n'),
                    encoding="utf-8")
    return folder


def test_a_suite_that_declares_its_metrics_is_scored_with_them(tmp_path: Path, store) -> None:
    suite = load_suite(_suite_with_metrics(tmp_path / "s", 'metrics = ["exact_match", "word_accuracy"]'))
    manifest = write_replay(tmp_path / "ck", {r["id"]: r["reference"] for r in TINY_ROWS})
    config = Config(metrics=MetricsConfig(enabled=["chrf++"], required=["chrf++"]))
    result = Runner(config, store).run(load_checkpoint(manifest), suite)
    assert set(result.metrics) == {"exact_match", "word_accuracy"}  # the suite's list, not the config's
    assert result.status == "complete" and result.metrics["exact_match"]["corpus_score"] == 100.0


def test_an_unknown_metric_in_suite_toml_names_the_file_and_the_known_ones(tmp_path: Path) -> None:
    folder = _suite_with_metrics(tmp_path / "s", 'metrics = ["chrf+++"]')
    with pytest.raises(InputError) as caught:
        load_suite(folder)
    text = str(caught.value)
    assert "suite.toml" in text and "chrf+++" in text and "exact_match" in text
