"""`evalharness gate` and `evalharness champion` through the real entry point: every exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalharness.cli import main

from .labkit import Lab, corrupted_replies

ROOT = Path(__file__).resolve().parents[2]


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr(sys, "argv", ["evalharness", *argv])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def gate_args(lab: Lab, candidate: str, *extra: str) -> list[str]:
    return ["gate", "--candidate", candidate, "--config", str(lab.root / "evalharness.toml"), *extra]


def test_exit_0_on_advance_with_reports_and_job_summary(planted, monkeypatch, capsys, tmp_path) -> None:
    lab, _ = planted
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    md, js = tmp_path / "out" / "gate.md", tmp_path / "out" / "gate.json"
    code = cli(monkeypatch, *gate_args(lab, "better", "--champion", "champ", "--json", "--report-md", str(md),
                                       "--report-json", str(js)))
    out = capsys.readouterr().out
    assert code == 0
    printed = json.loads(out)
    assert printed["decision"] == "advance" and printed["exit_code"] == 0
    assert json.loads(js.read_text(encoding="utf-8")) == printed
    chrf = next(m for m in printed["metrics"] if m["metric"] == "chrf++")
    assert chrf["estimate"]["ci_low"] > 0 and chrf["p_holm"] < 0.05 and chrf["estimate"]["mde"] > 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("## Gate: `better` vs champion `champ` — **ADVANCE** (exit 0)")
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + text + "\n"


def test_exit_1_on_revert(planted, monkeypatch, capsys) -> None:
    lab, _ = planted
    assert cli(monkeypatch, *gate_args(lab, "same", "--champion", "champ")) == 1
    out = capsys.readouterr().out
    assert "REVERT" in out and "no significant gain" in out


@pytest.mark.parametrize("gate_toml, message", [
    ('primary = { "chrf++" = 0.0 }\nprimray = 1\n', "gate.primray"),
    ('primary = { "chrf++" = 0.0 }\nguards = { embedding_cosine = 2.0 }\n', "not in metrics.enabled"),
    ('primary = { "chrf++" = 0.0 }\nalpha = 2\n', "gate.alpha"),
    ('primary = { "bleu" = 0.0 }\n', "unknown metric"),
])
def test_exit_2_on_bad_policy(planted, monkeypatch, capsys, gate_toml: str, message: str) -> None:
    lab, _ = planted
    config = lab.root / "evalharness.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[: text.index("[gate]")] + "[gate]\n" + gate_toml, encoding="utf-8")
    assert cli(monkeypatch, *gate_args(lab, "better", "--champion", "champ")) == 2
    assert message in capsys.readouterr().err
    assert not (lab.root / "gate.duckdb").exists() or _decisions(lab) == 0   # nothing half-written


def _decisions(lab: Lab) -> int:
    _, store = lab.load()
    return store.query("SELECT count(*) FROM decisions")[0][0]


def test_exit_2_on_unknown_checkpoint(planted, monkeypatch, capsys) -> None:
    lab, _ = planted
    assert cli(monkeypatch, *gate_args(lab, "nope", "--champion", "champ")) == 2
    assert "no checkpoint named 'nope'" in capsys.readouterr().err


def test_exit_3_on_incomplete_run(planted, monkeypatch, capsys) -> None:
    lab, items = planted
    replies = corrupted_replies(items, 1 / 6, seed=2)
    replies[items[10]["id"]] = None
    lab.checkpoint("holey", replies)
    assert cli(monkeypatch, *gate_args(lab, "holey", "--champion", "champ", "--json")) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["decision"] == "incomplete" and report["exit_code"] == 3
    assert any("1 failed item(s)" in r for r in report["reasons"])


def test_exit_3_when_a_required_metric_is_missing(planted, monkeypatch, capsys) -> None:
    lab, _ = planted
    lab.config(required=["chrf++", "bits_per_char"])
    assert cli(monkeypatch, *gate_args(lab, "better", "--champion", "champ")) == 3
    assert "required metric bits_per_char could not be compared" in capsys.readouterr().out


def test_champion_commands_and_record(planted, monkeypatch, capsys) -> None:
    lab, _ = planted
    config = str(lab.root / "evalharness.toml")
    assert cli(monkeypatch, "champion", "show", "--config", config) == 0
    assert "No champion recorded yet" in capsys.readouterr().out
    assert cli(monkeypatch, "champion", "set", "champ", "--reason", "baseline", "--by", "ci", "--config",
               config) == 0
    capsys.readouterr()
    # the recorded champion is the default; --record moves it on advance
    assert cli(monkeypatch, *gate_args(lab, "better", "--record")) == 0
    capsys.readouterr()
    assert cli(monkeypatch, "champion", "show", "--json", "--config", config) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["checkpoint_name"] == "better" and shown["decision_id"].startswith("dec-")
    assert cli(monkeypatch, "champion", "history", "--json", "--config", config) == 0
    history = json.loads(capsys.readouterr().out)
    assert [h["checkpoint_name"] for h in history] == ["better", "champ"]
    assert history[1]["set_by"] == "ci" and history[1]["reason"] == "baseline"


def test_several_candidates_run_in_rounds(planted, monkeypatch, capsys) -> None:
    lab, _ = planted
    code = cli(monkeypatch, "gate", "-c", "better", "-c", "same", "--champion", "champ", "--json", "--config",
               str(lab.root / "evalharness.toml"))
    payload = json.loads(capsys.readouterr().out)
    # round 2 meets the working champion `better`, and `same` (= the old champion's replies) loses to it
    assert [r["decision"] for r in payload["rounds"]] == ["advance", "revert"]
    assert [r["champion"]["name"] for r in payload["rounds"]] == ["champ", "better"]
    assert code == payload["exit_code"] == 1


def test_the_installed_entry_point_exits_with_the_decision(planted) -> None:
    lab, _ = planted
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EVALHARNESS_DB", None)
    proc = subprocess.run([sys.executable, "-c", "from evalharness.cli import main; main()",
                           *gate_args(lab, "same", "--champion", "champ")], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr
