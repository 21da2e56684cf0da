"""Commands that need no model start without loading one: `--help` and the store/suite commands never import
torch or transformers (which take seconds), and `--help` does not even open the database libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TINY_ROWS, write_replay, write_suite

MODEL_LIBRARIES = ("torch", "transformers", "sentence_transformers", "peft")
DATA_LIBRARIES = ("duckdb", "pandas", "pyarrow", "numpy", "sacrebleu")

# Runs the real CLI in a fresh interpreter, then reports which of the watched modules were imported.
PROBE = """
import json, sys
from evalharness.cli import app
try:
    app(sys.argv[1:], prog_name="evalharness")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
watched = {watched!r}
print("PROBE" + json.dumps({{"code": code, "imported": [m for m in watched if m in sys.modules]}}))
"""


def _imported(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    script = PROBE.format(watched=MODEL_LIBRARIES + DATA_LIBRARIES)
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROBE"))
    data = json.loads(line[len("PROBE"):])
    return data["code"], data["imported"]


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["gate", "--help"], ["suites", "--help"],
                                  ["runs", "--help"], ["judge", "--help"], ["review", "--help"]])
def test_help_imports_no_model_and_no_database_library(tmp_path: Path, args: list[str]) -> None:
    code, imported = _imported(args, tmp_path)
    assert code == 0
    assert imported == [], f"`evalharness {' '.join(args)}` imported {imported}"


def test_commands_without_a_model_do_not_import_torch(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suites" / "tiny", TINY_ROWS)
    manifest = write_replay(tmp_path / "ck", {r["id"]: r["reference"] for r in TINY_ROWS})
    config = tmp_path / "c.toml"
    config.write_text('[metrics]\nenabled = ["chrf++", "exact_match"]\nrequired = ["chrf++"]\n')
    db = str(tmp_path / "x.duckdb")
    for args in (["suites", "validate", str(suite)],
                 ["run", "-c", str(manifest), "-s", str(suite), "--config", str(config), "--db", db],
                 ["runs", "list", "--db", db],
                 ["champion", "show", "--db", db]):
        code, imported = _imported(args, tmp_path)
        assert code == 0, args
        assert not set(imported) & set(MODEL_LIBRARIES), f"`evalharness {' '.join(args)}` imported {imported}"
