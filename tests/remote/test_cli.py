"""`evalharness run` against a remote checkpoint: exit codes, the cost column, --retry-failed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from evalharness.cli import main

from remote_common import OPENAI_KEY, remote_checkpoint


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["evalharness", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), " ".join((out.out + out.err).split())  # rich wraps at 80 columns


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "evalharness.toml"
    path.write_text("""
[run]
concurrency = 4

[metrics]
enabled = ["chrf", "exact_match"]
required = ["chrf"]

[providers.openai]
timeout_s = 0.5
backoff_s = 0.01
max_backoff_s = 0.05
max_retries = 2
prompt_per_1m = 2.5
completion_per_1m = 10.0

[keys]
OPENAI_API_KEY = ["127.0.0.1"]
""", encoding="utf-8")
    return path


def test_run_then_retry_failed(keys, fake, make_suite_dir, write_checkpoint, tmp_path, monkeypatch, capsys):
    fake.behaviour.always_fail = ("word 2 ",)
    suite = make_suite_dir(6)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    config = _config(tmp_path)
    db = tmp_path / "cli.duckdb"
    base = ["run", "-c", str(ckpt.manifest_path), "-s", str(suite.path), "--config", str(config), "--db", str(db)]

    code, out = _cli(monkeypatch, capsys, *base)
    assert code == 3  # incomplete
    assert "1 failed" in out and "--retry-failed" in out and "cost" in out and "$0.0" in out
    assert OPENAI_KEY not in out  # the 500 body echoed the key; the output shows it redacted at most

    fake.behaviour.always_fail = ()
    before = fake.stats.requests
    code, out = _cli(monkeypatch, capsys, *base, "--retry-failed", "--json")
    assert code == 0 and fake.stats.requests - before == 1
    runs = json.loads(out)["runs"]
    assert len(runs) == 1 and runs[0]["status"] == "complete" and runs[0]["generated"] == 1
    assert runs[0]["cost"]["usd"] > 0 and runs[0]["cost"]["ok_calls"] == 6

    code, out = _cli(monkeypatch, capsys, *base, "--retry-failed")
    assert code == 0 and "nothing to retry" in out and fake.stats.requests - before == 1

    code, out = _cli(monkeypatch, capsys, "runs", "show", runs[0]["run_id"], "--config", str(config), "--db", str(db))
    assert code == 0 and f"provider calls: {fake.stats.requests}" in out and "cost $0.00" in out


def test_missing_key_exits_2_before_any_request(fake, make_suite_dir, write_checkpoint, tmp_path, monkeypatch,
                                                capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    suite = make_suite_dir(3)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    code, out = _cli(monkeypatch, capsys, "run", "-c", str(ckpt.manifest_path), "-s", str(suite.path),
                     "--config", str(_config(tmp_path)), "--db", str(tmp_path / "x.duckdb"))
    assert code == 2 and "OPENAI_API_KEY" in out and fake.stats.requests == 0
