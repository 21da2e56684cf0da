"""Text from users and data reaches the terminal as written: Rich neither eats `[brackets]` as markup
nor turns `:names:` into emoji, and a correction containing markup cannot crash a listing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalharness.checkpoints import load_checkpoint
from evalharness.cli import main
from evalharness.community import accounts, reviews
from evalharness.config import Config
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.suites import load_suite
from tests.helpers import write_replay, write_suite

from remote_common import remote_checkpoint

ROWS = [{"id": "q1", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"}]


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["evalharness", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), " ".join((out.out + out.err).split())


def test_unknown_cost_hint_keeps_its_config_section(keys, fake, make_suite_dir, write_checkpoint, tmp_path: Path,
                                                    monkeypatch, capsys) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[metrics]\nenabled = ["chrf"]\nrequired = ["chrf"]\n[keys]\nOPENAI_API_KEY = ["127.0.0.1"]\n',
                      encoding="utf-8")
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    code, out = _cli(monkeypatch, capsys, "run", "-c", str(ckpt.manifest_path), "-s", str(tmp_path / "suites" /
                     suite.name), "--config", str(config), "--db", str(tmp_path / "t.duckdb"))
    assert code == 0, out
    assert "set [providers.openai] prompt_per_1m" in out


def test_signatures_and_corrections_print_as_written(keys, tmp_path: Path, monkeypatch, capsys) -> None:
    db = tmp_path / "t.duckdb"
    store = Store(db)
    suite = load_suite(write_suite(tmp_path / "s", ROWS))
    manifest = write_replay(tmp_path / "ck", {"q1": "hayis"})
    config = Config.model_validate({"metrics": {"enabled": ["exact_match", "cas"], "required": []},
                                    "judge": {"enabled": True, "provider": "gemini", "model": "gemini-2.5-flash"}})
    result = Runner(config, store).run(load_checkpoint(manifest), suite)
    code, out = _cli(monkeypatch, capsys, "runs", "show", result.run_id, "--db", str(db))
    assert code == 0, out
    assert "judge:gemini:gemini-2.5-flash" in out and "♊" not in out

    accounts.add_reviewer(store, "Lucy [admin]", "reviewer", "a long enough password")
    narrative = "Use `hâyis` [redacted] here; see [/bold] and :smile: as typed."
    reviews.save_review(store, "Lucy [admin]", reviews.target(store, result.run_id, "q1"), narrative=narrative)
    code, out = _cli(monkeypatch, capsys, "corrections", "list", "--db", str(db))
    assert code == 0, out
    assert "[redacted]" in out and "[/bold]" in out and ":smile:" in out and "Lucy [admin]" in out

    code, out = _cli(monkeypatch, capsys, "reviewers", "list", "--db", str(db))
    assert code == 0, out
    assert "Lucy [admin]" in out and "\\[" not in out
    code, out = _cli(monkeypatch, capsys, "reviewers", "unlock", "Lucy [admin]", "--db", str(db))
    assert code == 0, out
    assert "unlocked 'Lucy [admin]'" in out
