"""Moving and keeping a store: copy file → server → file, Parquet backup and restore, and `store check`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.checkpoints import load_checkpoint
from evalharness.cli import app
from evalharness.config import Config, MetricsConfig
from evalharness.errors import InputError
from evalharness.runner import Runner
from evalharness.store import Store, maintenance
from evalharness.store import runs as run_rows
from evalharness.store.gate import set_champion
from evalharness.suites import load_suite

from .conftest import write_replay

FAST = MetricsConfig(enabled=["chrf++", "exact_match"], required=["chrf++"])


def _filled(store: Store, tmp_path: Path, tiny_suite: Path) -> str:
    """A real run (suite, checkpoint, generations, item scores with statistics lists) plus a champion row."""
    manifest = write_replay(tmp_path / "ck", {"a1": "`keya` means 'turtle'.", "a2": "hâyis ŝ", "a3": "eye"})
    result = Runner(Config(metrics=FAST), store).run(load_checkpoint(manifest), load_suite(tiny_suite))
    set_champion(store, "echo", load_checkpoint(manifest).identity, set_by="test", reason="first")
    return result.run_id


def test_copy_file_to_server_and_back_keeps_every_row(tmp_path: Path, tiny_suite: Path, pg_base: str) -> None:
    from evalharness.testing.postgres import drop_schema, new_schema

    source = Store(tmp_path / "a.duckdb")
    _filled(source, tmp_path, tiny_suite)
    before = maintenance.summaries(source)
    schema, url = new_schema(pg_base)
    try:
        there = maintenance.copy_store(source, Store(url))
        back = maintenance.copy_store(Store(url), Store(tmp_path / "b.duckdb"))
        after = maintenance.summaries(Store(tmp_path / "b.duckdb"))
        assert {t.table: (t.rows, t.checksum) for t in before} == {t.table: (t.rows, t.checksum) for t in after}
        assert there.rows == back.rows == sum(t.rows for t in before) > 0
        assert {t.table: t.checksum for t in maintenance.summaries(Store(url))} == {t.table: t.checksum for t in before}
        # a copy never lands on top of data
        with pytest.raises(InputError, match="already holds data"):
            maintenance.copy_store(source, Store(url))
    finally:
        drop_schema(pg_base, schema)


def test_backup_restores_to_the_same_rows(store: Store, tmp_path: Path, tiny_suite: Path) -> None:
    _filled(store, tmp_path, tiny_suite)
    made = maintenance.backup(store, tmp_path / "backup")
    assert (tmp_path / "backup" / "manifest.json").is_file() and (tmp_path / "backup" / "item_scores.parquet").is_file()
    target = Store(tmp_path / "restored.duckdb")
    maintenance.restore(tmp_path / "backup", target)
    assert {t.table: t.checksum for t in maintenance.summaries(target)} == {t.table: t.checksum for t in made.tables}
    assert run_rows.list_runs(target)[0].status == run_rows.list_runs(store)[0].status


def test_copy_refuses_and_writes_nothing_when_a_checksum_differs(tmp_path: Path, tiny_suite: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    source = Store(tmp_path / "a.duckdb")
    _filled(source, tmp_path, tiny_suite)
    real = maintenance.summarize

    def lying(con, table, names=None):
        got = real(con, table, names)
        return maintenance.TableSummary(got.table, got.rows, "0" * 64) if table == "item_scores" else got

    monkeypatch.setattr(maintenance, "summarize", lying)
    destination = Store(tmp_path / "b.duckdb")
    with pytest.raises(Exception, match="item_scores"):
        maintenance.copy_store(source, destination)
    monkeypatch.setattr(maintenance, "summarize", real)
    assert all(t.rows == 0 for t in maintenance.summaries(destination))


def test_check_finds_orphans_and_closes_abandoned_runs(store: Store, tmp_path: Path, tiny_suite: Path) -> None:
    run_id = _filled(store, tmp_path, tiny_suite)
    assert maintenance.check(store, idle=timedelta(hours=1)) == []
    with store.transaction() as con:  # a run left `running` long ago, and scores of a run that is gone
        con.execute("UPDATE runs SET status = 'running', started_at = current_timestamp::TIMESTAMP - "
                    "INTERVAL '3 hours' WHERE run_id = ?", [run_id])
        con.execute("UPDATE run_items SET updated_at = current_timestamp::TIMESTAMP - INTERVAL '2 hours'")
        con.execute("INSERT INTO run_metrics (run_id, metric, signature, higher_is_better, stat_names, n_scored, "
                    "n_unscored, status) VALUES ('run-gone', 'chrf', 's', true, ARRAY['n'], 0, 0, 'failed')")
    problems = {(p.kind, p.table): p for p in maintenance.check(store, idle=timedelta(hours=1))}
    assert problems[("orphan", "run_metrics")].ids == ("run-gone",)
    assert problems[("stuck_run", "runs")].ids == (run_id,)
    # a run still writing (last item 2 h ago, threshold 3 h) is not abandoned
    assert maintenance.stuck_runs(store, idle=timedelta(hours=3)) == []
    result = CliRunner().invoke(app, ["store", "check", "--db", store.location, "--stuck-after", "90m", "--close"])
    assert result.exit_code == 1 and run_id in result.output and "abandoned" in result.output
    assert run_rows.get_run(store, run_id).status == "abandoned"
    assert [p.kind for p in maintenance.check(store, idle=timedelta(hours=1))] == ["orphan"]
