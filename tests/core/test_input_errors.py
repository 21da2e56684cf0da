"""Bad input gets a message that says where and what, never a traceback: suite names, value errors with
their line, keys the config does not have, symbolic-link loops."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app
from tests.helpers import write_replay, write_suite

ROWS = [{"id": "a1", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"}]


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def _chat_file(path: Path) -> Path:
    row = {"messages": [{"role": "user", "content": "Say 'almost'."}, {"role": "assistant", "content": "hayis"}]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("args", "shown"), [
    (["--name", "../../evil"], "'../../evil'"),
    ([], "'has space'"),
])
def test_suite_import_rejects_a_bad_name_before_writing(tmp_path: Path, args: list[str], shown: str) -> None:
    out = tmp_path / "has space"
    result = _cli("suites", "import", "openai-chat", str(_chat_file(tmp_path / "c.jsonl")), "--out", str(out), *args,
                  "--allow", "evaluation")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert shown in text and "suite name" in text and "--name" in text
    assert not out.exists() and not (tmp_path.parent / "evil").exists()


def test_suite_toml_value_error_names_the_line(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", ROWS)
    toml = folder / "suite.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('kind = "dictionary_qa"', 'kind = "dictionary"'),
                    encoding="utf-8")
    line = toml.read_text(encoding="utf-8").splitlines().index('kind = "dictionary"') + 1
    result = _cli("suites", "validate", str(folder))
    assert result.exit_code == 2 and f"suite.toml:{line}" in result.output and "'kind'" in result.output


def test_manifest_value_error_names_the_line(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s", ROWS)
    manifest = write_replay(tmp_path / "ck", {"a1": "hayis"})
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n[generation]\nmax_tokens = 8\ntemperature = 9\n",
                        encoding="utf-8")
    line = manifest.read_text(encoding="utf-8").splitlines().index("temperature = 9") + 1
    result = _cli("run", "-c", str(manifest), "-s", str(suite), "--db", str(tmp_path / "t.duckdb"))
    assert result.exit_code == 2 and f"echo.toml:{line}" in result.output
    assert "generation.temperature" in result.output and not (tmp_path / "t.duckdb").exists()


@pytest.mark.parametrize(("text", "line", "key"), [
    ("[store]\npath = 'x.duckdb'\n\n[run]\nconcurrency = 8\nbatch_size = 0\n", 6, "run.batch_size"),
    ("[gate]\nprimary = { \"chrf++\" = 0.0 }\nalpha = 0.9\n", 3, "gate.alpha"),
])
def test_config_value_error_names_the_line(tmp_path: Path, text: str, line: int, key: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text, encoding="utf-8")
    result = _cli("runs", "list", "--config", str(config))
    assert result.exit_code == 2 and f"c.toml:{line}" in result.output and key in result.output


def test_config_rejects_a_top_level_source_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("source = 5\n", encoding="utf-8")
    result = _cli("runs", "list", "--config", str(config))
    assert result.exit_code == 2 and "c.toml:1" in result.output and "'source'" in result.output
    assert "unknown key" in result.output


def test_symlink_loops_are_named_as_loops(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s", ROWS)
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    os.symlink(checkpoints / "loop.toml", checkpoints / "loop.toml")
    config = tmp_path / "c.toml"
    config.write_text('[run]\ncheckpoints_dir = "checkpoints"\n', encoding="utf-8")
    result = _cli("run", "-c", "loop", "-s", str(suite), "--config", str(config), "--db", str(tmp_path / "t.duckdb"))
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "symbolic link loop" in text and "no checkpoint named" not in text
    os.symlink(tmp_path / "loop.duckdb", tmp_path / "loop.duckdb")
    result = _cli("runs", "list", "--db", str(tmp_path / "loop.duckdb"))
    assert result.exit_code == 2 and "symbolic link loop" in " ".join(result.output.split())
