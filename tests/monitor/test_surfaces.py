"""Where people see monitoring: the CLI (`monitor …`, `runs`), the gate's report, the dashboard (AppTest)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalharness.cli import main

from . import monitored_store
from .monitored_store import REVIEWER, Monitored


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Monitored:
    return monitored_store.build(tmp_path_factory.mktemp("monitored"))


def where(monitored: Monitored) -> list[str]:
    return ["--config", str(monitored.config_path), "--db", str(monitored.db)]


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr(sys, "argv", ["evalharness", *argv])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_status_lists_the_checks_and_what_is_on(monitored: Monitored, monkeypatch, capsys) -> None:
    assert cli(monkeypatch, "monitor", "status", "stoney-ft", *where(monitored), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["seq"] for c in data["checks"]] == [1, 2, 3, 4, 5, 6]
    assert data["checks"][-1]["alarm"] is True and data["checks"][1]["alarm"] is False
    assert {s["condition"] for s in data["states"] if s["active"]} == {"drift", "retirement"}
    assert cli(monkeypatch, "monitor", "status", "stoney-ft", *where(monitored)) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Active: drift since" in out and "retirement since" in out


def test_runs_and_list_warn_about_retirement(monitored: Monitored, monkeypatch, capsys) -> None:
    assert cli(monkeypatch, "monitor", "list", *where(monitored)) == 0
    out = capsys.readouterr().out
    assert "stoney-ft" in out and "shuts down" in out
    code = cli(monkeypatch, "runs", "list", *where(monitored))
    assert code == 0
    out = capsys.readouterr().out
    assert f"stoney-ft retires in 30 day(s): its base model 'gpt-4.1-mini-2025-04-14' shuts down on " \
           f"{monitored.shutdown:%Y-%m-%d}" in " ".join(out.split())


def test_the_gate_report_says_the_champion_retires(monitored: Monitored, monkeypatch, capsys, tmp_path: Path) -> None:
    import shutil

    shutil.copyfile(monitored.db, tmp_path / "gate.duckdb")
    report = tmp_path / "gate.md"
    code = cli(monkeypatch, "gate", "--candidate", "stoney-ft", "--champion", "stoney-ft", "--report-md", str(report),
               "--config", str(monitored.config_path), "--db", str(tmp_path / "gate.duckdb"))
    assert code == 1  # the same model is no improvement on itself
    text = report.read_text(encoding="utf-8")
    assert f"- ⚠️ The champion `stoney-ft` retires in 30 day(s): its base model 'gpt-4.1-mini-2025-04-14' shuts " \
           f"down on {monitored.shutdown:%Y-%m-%d} — gate a replacement" in text


def test_an_unknown_monitor_is_a_config_error(monitored: Monitored, monkeypatch, capsys) -> None:
    assert cli(monkeypatch, "monitor", "status", "nope", *where(monitored)) == 2
    assert "no monitor named 'nope'" in capsys.readouterr().err


def test_import_log_reports_every_record(monitored: Monitored, monkeypatch, capsys, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("time,question,answer,consent\n2026-11-29T10:00:00Z,q1,a1,yes\n2026-11-29T10:00:00Z,q1,a1,yes\n"
                   "2026-11-29T11:00:00Z,q2,a2,no\n", encoding="utf-8")
    import shutil

    shutil.copyfile(monitored.db, tmp_path / "copy.duckdb")
    place = ["--config", str(monitored.config_path), "--db", str(tmp_path / "copy.duckdb")]
    args = ["monitor", "import-log", str(log), "--monitor", "stoney-ft", *place]
    assert cli(monkeypatch, *args, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["read"], data["imported"]) == (3, 1)
    assert data["left_out"]["duplicates"] == 1 and data["left_out"]["without consent"] == 1
    assert cli(monkeypatch, *args, "--json") == 0               # the same file again: nothing new
    again = json.loads(capsys.readouterr().out)
    assert again["imported"] == 0 and again["left_out"]["already imported"] == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"time": "2026-11-29", "question": "q", "answer": "a"}\n', encoding="utf-8")
    assert cli(monkeypatch, "monitor", "import-log", str(bad), "--monitor", "stoney-ft", "--config",
               str(monitored.config_path)) == 2
    assert "bad.jsonl:1, field 'consent'" in capsys.readouterr().err


@pytest.fixture
def app(monitored: Monitored, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    import shutil

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    copy = tmp_path / "dash.duckdb"
    shutil.copyfile(monitored.db, copy)
    monkeypatch.setenv("EVALHARNESS_DB", str(copy))
    monkeypatch.setenv("EVALHARNESS_CONFIG", str(monitored.config_path))
    st.cache_data.clear()
    root = Path(__file__).resolve().parents[2]
    yield lambda: AppTest.from_file(str(root / "dashboards" / "app.py"), default_timeout=60)



def goto(at, name: str):
    from tests.dashboard.conftest import goto as open_page

    return open_page(at, name)

def _texts(at) -> str:
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts).replace("\\", "")


def test_monitor_page_shows_alarm_series_and_days_until_retirement(app) -> None:
    at = app().run()
    goto(at, "monitor").run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "Days until retirement 30" in text
    assert "Alarm ON" in text
    assert "answers changed since the baseline" in text
    assert "shuts down on" in text
    assert "Red triangles" in text
    live = at.dataframe[-1].value
    assert list(live["answers"]) == [1, 1] and live["right"].sum() == 1


def test_live_answers_page_saves_a_rating(app, monitored: Monitored, tmp_path: Path) -> None:
    from evalharness.store import Store

    at = app().run()
    at.sidebar.text_input(key="sign_in_name").input(REVIEWER)
    at.sidebar.text_input(key="sign_in_password").input(monitored_store.PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    goto(at, "live").run()
    assert not at.exception, at.exception
    assert [p.proto.text for p in at.get("progress")] == ["You have reviewed 1 of 2 live answers."]
    next(r for r in at.radio if r.label == "Is the answer right?").set_value("Wrong").run()
    next(b for b in at.button if b.label == "Save").click().run()
    assert any("Saved at" in str(s.value) for s in at.success)
    rows = Store(tmp_path / "dash.duckdb").query(
        "SELECT verdict, rater, source, run_id FROM ratings ORDER BY created_at")
    assert rows == [("right", REVIEWER, "live", None), ("wrong", REVIEWER, "live", None)]
