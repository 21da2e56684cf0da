"""Every suite's governance is checked before the first request of a command: with one allowed and one
denied suite, nothing is sent at all (a refusal that says "Nothing was sent" is then true)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalharness.cli import main
from evalharness.config import Config
from evalharness.errors import GovernanceError
from evalharness.gate import run_rounds
from evalharness.store import Store

from remote_common import remote_checkpoint


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text('[metrics]\nenabled = ["chrf++"]\nrequired = ["chrf++"]\n\n[gate]\nprimary = { "chrf++" = 0.0 }'
                    '\nguards = {}\n', encoding="utf-8")
    return path


def test_run_with_an_allowed_and_a_denied_suite_sends_nothing(keys, fake, make_suite_dir, write_checkpoint,
                                                              tmp_path: Path, monkeypatch, capsys) -> None:
    make_suite_dir(5, name="allowed")
    make_suite_dir(5, name="denied", allowed=("evaluation",))
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    db = tmp_path / "t.duckdb"
    monkeypatch.setattr(sys, "argv", ["evalharness", "run", "-c", str(ckpt.manifest_path), "-s",
                                      str(tmp_path / "suites" / "allowed"), "-s", str(tmp_path / "suites" / "denied"),
                                      "--config", str(_config(tmp_path)), "--db", str(db)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = " ".join(capsys.readouterr().err.split())
    assert exit_info.value.code == 2 and "'denied' does not allow 'external_generation'" in out
    assert "Nothing was sent" in out and fake.stats.requests == 0
    assert not db.exists() or Store(db).query("SELECT count(*) FROM runs") == [(0,)]


def test_gate_rounds_check_every_candidate_before_the_first_request(keys, fake, make_suite_dir, write_checkpoint,
                                                                    tmp_path: Path) -> None:
    allowed = make_suite_dir(5, name="allowed")
    second = make_suite_dir(5, name="also-allowed")
    openai = remote_checkpoint(write_checkpoint, "openai", fake)
    gemini = remote_checkpoint(write_checkpoint, "gemini", fake)
    store = Store(tmp_path / "g.duckdb")
    config = Config.model_validate({"metrics": {"enabled": ["chrf++"], "required": ["chrf++"]},
                                    "gate": {"primary": {"chrf++": 0.0}, "guards": {}}})
    denied = make_suite_dir(5, name="denied", allowed=("evaluation",))
    with pytest.raises(GovernanceError, match="Nothing was sent"):
        run_rounds(config, store, [gemini, openai], [allowed, second, denied], champion=openai)
    assert fake.stats.requests == 0
