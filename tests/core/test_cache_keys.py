"""The generation cache is keyed on everything a backend's answer depends on.

Replay answers by item id, not by prompt: dictionary suites repeat prompts (the same headword asked
about in several senses), and each item must get its own recorded reply.
"""

from __future__ import annotations

from pathlib import Path

from evalharness.checkpoints import load_checkpoint
from evalharness.config import Config, MetricsConfig
from evalharness.runner import Runner
from evalharness.store import records
from evalharness.suites import load_suite

from .conftest import write_replay, write_suite

REPEATED = [
    {"id": "w1", "prompt": "What does `wa` mean?", "reference": "`wa` means 'snow'.", "direction": "sto-en"},
    {"id": "w2", "prompt": "What does `wa` mean?", "reference": "`wa` means 'something'.", "direction": "sto-en"},
    {"id": "w3", "prompt": "What does `wa` mean?", "reference": "`wa` is a prefix.", "direction": "sto-en"},
    {"id": "h1", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"},
]


def test_replaying_a_suites_own_references_scores_100_with_repeated_prompts(tmp_path: Path, store) -> None:
    suite = load_suite(write_suite(tmp_path / "s", REPEATED))
    manifest = write_replay(tmp_path / "ck", {r["id"]: r["reference"] for r in REPEATED})
    result = Runner(Config(metrics=MetricsConfig(enabled=["exact_match"], required=[])), store).run(
        load_checkpoint(manifest), suite)
    assert result.metrics["exact_match"]["corpus_score"] == 100.0
    answers = {item: text for item, (_, text, _) in records.run_items(store, result.run_id).items()}
    assert answers == {r["id"]: r["reference"] for r in REPEATED}


def test_a_resumed_replay_run_gives_the_same_unsupported_reason(tmp_path: Path, store) -> None:
    suite = load_suite(write_suite(tmp_path / "s", REPEATED))
    manifest = write_replay(tmp_path / "ck", {r["id"]: r["reference"] for r in REPEATED})
    config = Config(metrics=MetricsConfig(enabled=["exact_match", "bits_per_char"], required=[]))
    first = Runner(config, store).run(load_checkpoint(manifest), suite)
    reason = first.metrics["bits_per_char"]["reason"]
    # Killed after generating, before scoring: the resumed run has every answer cached and builds no backend.
    records.set_run_status(store, first.run_id, "running")
    resumed = Runner(config, store).run(load_checkpoint(manifest), suite)
    assert resumed.run_id == first.run_id and resumed.generated == 0
    assert resumed.metrics["bits_per_char"]["status"] == "unsupported"
    assert resumed.metrics["bits_per_char"]["reason"] == reason
    assert "recorded text only" in reason
