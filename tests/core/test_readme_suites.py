"""Following the README's suite examples works and leaves the bundled suites (and the tests) alone."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from evalharness.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            if line.startswith("evalharness suites "):
                commands.append(shlex.split(line))
    return commands


def test_readme_suite_examples_write_outside_the_bundled_suites_folder() -> None:
    commands = _readme_commands()
    assert any(c[2] == "import" for c in commands)
    for command in commands:
        for flag in ("--out", "--out-test"):
            if flag in command:
                target = command[command.index(flag) + 1]
                assert not target.startswith("suites/"), f"README writes a user suite into suites/: {command}"
        if command[2] == "import":
            assert "--allow" in command, f"README import example without --allow cannot be run: {command}"


def test_validate_as_the_readme_writes_it_skips_files(tmp_path: Path) -> None:
    paths = [str(p) for p in sorted((ROOT / "suites").iterdir())]
    assert any(p.endswith("README.md") for p in paths)
    result = CliRunner().invoke(app, ["suites", "validate", *paths])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "README.md" in result.output
    assert "ok stoney-dictionary-qa" in result.output


def test_an_import_with_no_allowed_use_says_what_that_means(tmp_path: Path) -> None:
    source = tmp_path / "qa.jsonl"
    source.write_text(json.dumps({"question": "How do you say 'almost'?", "answer": "hayis", "source_language":
                                  "english", "generated_at": "2024-01-01T00:00:00", "pair_id": 1}) + "\n",
                      encoding="utf-8")
    result = CliRunner().invoke(app, ["suites", "import", "seed-qa", str(source), "--out", str(tmp_path / "qa")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "not even `evalharness run`" in text and "--allow evaluation" in text
