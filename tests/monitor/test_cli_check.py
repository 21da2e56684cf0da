"""`evalharness monitor check` through the real entry point, as a scheduler runs it (GitHub Actions here)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from evalharness.cli import main
from evalharness.testing.simulated import behaviour_for

from .conftest import BASE, FT, MODEL_A
from .monitored_store import config_toml


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr(sys, "argv", ["evalharness", *argv])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_a_scheduled_check_writes_the_job_summary_and_annotates_the_warning(make_lab, monkeypatch, capsys,
                                                                              tmp_path: Path) -> None:
    shutdown = (datetime.now(timezone.utc).date() + timedelta(days=30)).isoformat()
    lab = make_lab(models={FT: None, BASE: shutdown})
    behaviour_for(MODEL_A, lab.references, 1, lab.fake.behaviour)
    config = lab.root / "evalharness.toml"
    config.write_text(config_toml(lab.root, lab.fake.url), encoding="utf-8")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    where = ["--config", str(config), "--db", str(lab.root / "cli.duckdb")]
    assert cli(monkeypatch, "monitor", "check", *where, "--fail-on-alarm") == 0   # a warning is not an alarm
    out = capsys.readouterr().out
    assert "::warning title=evalharness monitor stoney-ft%3A the model retires soon::" in out
    text = summary.read_text(encoding="utf-8")
    assert "## Monitor `stoney-ft`: check 1 — ✅ complete, no drift alarm" in text
    assert f"shuts down on {shutdown} (in 30 day(s)) — gate a replacement" in text
    assert "- This check: 20 items," in text and "- A full run: 40 items," in text    # cost next to a full run
    assert "### ⚠️ evalharness monitor stoney-ft: the model retires soon" in text   # the alert itself


def test_fail_on_alarm_exits_1_while_the_endpoint_is_gone(make_lab, monkeypatch, capsys) -> None:
    lab = make_lab(models={BASE: None})
    config = lab.root / "evalharness.toml"
    config.write_text(config_toml(lab.root, lab.fake.url), encoding="utf-8")
    where = ["--config", str(config), "--db", str(lab.root / "cli.duckdb")]
    assert cli(monkeypatch, "monitor", "check", *where) == 0
    assert cli(monkeypatch, "monitor", "check", *where, "--fail-on-alarm") == 1
    err = capsys.readouterr().err
    assert "alarm on — stoney-ft: endpoint_gone" in err
