"""`runs export` on the runs users actually have: a remote run (no log-likelihoods), an incomplete run
and a run under the default metric set (CAS not scored) — every unscored metric has no statistics."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from evalharness.checkpoints import load_checkpoint
from evalharness.cli import app
from evalharness.config import Config
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.suites import load_suite
from tests.helpers import write_replay, write_suite

from remote_common import fast_config, remote_checkpoint

ROWS = [{"id": f"q{k}", "prompt": f"Say word {k} in Stoney.", "reference": f"îyethka {k}", "direction": "en-sto"}
        for k in range(4)]


def _export(db: Path, run_id: str, out: Path) -> list[dict]:
    result = CliRunner().invoke(app, ["runs", "export", run_id, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return duckdb.sql(f"SELECT * FROM '{out}' ORDER BY item_id, metric").df().to_dict("records")


def _check_stats(rows: list[dict], suffix: str) -> None:
    for row in rows:
        stats = row["stats"]
        if row["status"] != "scored":
            assert stats is None or (isinstance(stats, float) and stats != stats)  # empty, never a made-up number
            assert row["score"] is None or row["score"] != row["score"]
            continue
        values = json.loads(stats) if suffix == "csv" else list(stats)
        assert all(isinstance(v, (int, float)) for v in values) and values
        assert "np.float64" not in str(stats)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_export_a_remote_run_without_loglikelihoods(keys, fake, make_suite_dir, write_checkpoint, tmp_path: Path,
                                                    suffix: str) -> None:
    store = Store(tmp_path / "e.duckdb")
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    result = Runner(fast_config(metrics=("chrf", "bits_per_char")), store).run(ckpt, make_suite_dir(4))
    rows = _export(store.path, result.run_id, tmp_path / f"remote.{suffix}")
    assert len(rows) == 8 and {r["status"] for r in rows} == {"scored", "unsupported"}
    _check_stats(rows, suffix)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_export_an_incomplete_run_and_a_default_config_run(tmp_path: Path, suffix: str) -> None:
    store = Store(tmp_path / "e.duckdb")
    suite = load_suite(write_suite(tmp_path / "s", ROWS))
    partial = load_checkpoint(write_replay(tmp_path / "p", {"q0": "îyethka 0", "q1": "îyethka"}, name="partial"))
    incomplete = Runner(Config.model_validate({"metrics": {"enabled": ["chrf++", "exact_match"]}}), store).run(
        partial, suite)
    assert incomplete.status == "incomplete"
    rows = _export(store.path, incomplete.run_id, tmp_path / f"incomplete.{suffix}")
    assert {r["status"] for r in rows} == {"scored", "failed"} and len(rows) == 8
    _check_stats(rows, suffix)
    full = load_checkpoint(write_replay(tmp_path / "f", {r["id"]: r["reference"] for r in ROWS}, name="full"))
    default = Runner(Config(), store).run(full, suite)  # every metric, CAS not scored without a judge
    rows = _export(store.path, default.run_id, tmp_path / f"default.{suffix}")
    assert {"scored", "unsupported", "not_scored"} <= {r["status"] for r in rows}
    _check_stats(rows, suffix)
