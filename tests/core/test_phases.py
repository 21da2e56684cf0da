"""The phased evaluation on a real local model: a metric enabled on a finished run computes what it needs, and
`[run] batch_size` sets the batches the model sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.backends.transformers_backend import TransformersBackend
from evalharness.checkpoints import load_checkpoint
from evalharness.config import Config, MetricsConfig, RunConfig
from evalharness.runner import Runner
from evalharness.suites import load_suite

from .conftest import TINY_ROWS, write_suite

ROOT = Path(__file__).resolve().parents[2]
V2 = ROOT / "checkpoints" / "stoney-v2.toml"

pytestmark = pytest.mark.slow


def test_metric_enabled_on_a_complete_run_is_computed_not_failed(tmp_path: Path, store) -> None:
    suite = load_suite(write_suite(tmp_path / "s", TINY_ROWS))
    checkpoint = load_checkpoint(V2)
    first = Runner(Config(metrics=MetricsConfig(enabled=["chrf++"], required=["chrf++"])), store).run(checkpoint, suite)
    assert first.status == "complete" and first.generated == len(TINY_ROWS)
    # the same run, now also scored with perplexity: the backend can measure it, so it does
    wider = Config(metrics=MetricsConfig(enabled=["chrf++", "bits_per_char"], required=["chrf++"]))
    again = Runner(wider, store).run(checkpoint, suite)
    assert again.run_id == first.run_id and again.generated == 0 and not again.reused
    bpc = again.metrics["bits_per_char"]
    assert bpc["status"] == "scored" and bpc["n_scored"] == len(TINY_ROWS), bpc["reason"]
    assert bpc["corpus_score"] > 0 and again.status == "complete"
    # rescoring recomputes from what is stored: the same number, nothing measured again
    rescored = Runner(wider, store).run(checkpoint, suite, rescore=True)
    assert rescored.metrics["bits_per_char"]["corpus_score"] == pytest.approx(bpc["corpus_score"])


@pytest.mark.parametrize(("batch_size", "batches"), [(1, [1, 1, 1, 1]), (3, [3, 1])])
def test_run_batch_size_sets_the_model_batches(tmp_path: Path, store, monkeypatch: pytest.MonkeyPatch,
                                               batch_size: int, batches: list[int]) -> None:
    seen: list[int] = []
    original = TransformersBackend._generate_batch

    def recording(self: TransformersBackend, batch):  # the real batch call, counted
        seen.append(len(batch))
        return original(self, batch)

    monkeypatch.setattr(TransformersBackend, "_generate_batch", recording)
    suite = load_suite(write_suite(tmp_path / "s", TINY_ROWS))
    config = Config(run=RunConfig(batch_size=batch_size),
                    metrics=MetricsConfig(enabled=["exact_match"], required=[]))
    result = Runner(config, store).run(load_checkpoint(V2), suite)
    assert result.generated == len(TINY_ROWS) and seen == batches
