"""Everything a checkpoint needs is loaded and checked before a run or checkpoint row exists: a bad
weights folder or replies file is a clear error naming the file (exit 2), and the store gains no row."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.store import Store
from tests.helpers import write_replay, write_suite

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "checkpoints" / "demo" / "stoney-base"
ROWS = [{"id": "a1", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"},
        {"id": "a2", "prompt": "What is `îsta`?", "reference": "`îsta` means 'eye'.", "direction": "sto-en"}]


def _weights(folder: Path) -> Path:
    shutil.copytree(BASE, folder)
    manifest = folder.parent / f"{folder.name}.toml"
    manifest.write_text(f'name = "{folder.name}"\nbackend = "transformers"\nmodel = "{folder.name}"\n'
                        'prompt_format = "Q: {prompt}\\nA:"\n', encoding="utf-8")
    return manifest


def no_config_json(tmp: Path) -> tuple[Path, str]:
    manifest = _weights(tmp / "noconfig")
    (tmp / "noconfig" / "config.json").unlink()
    return manifest, "config.json"


def corrupt_safetensors(tmp: Path) -> tuple[Path, str]:
    manifest = _weights(tmp / "corrupt")
    (tmp / "corrupt" / "model.safetensors").write_bytes(struct.pack("<Q", 10**12) + b"{}")
    return manifest, "model.safetensors"


def config_json_not_json(tmp: Path) -> tuple[Path, str]:
    manifest = _weights(tmp / "badconfig")
    (tmp / "badconfig" / "config.json").write_text("{not json", encoding="utf-8")
    return manifest, "config.json"


def _replies(tmp: Path, raw: bytes) -> Path:
    manifest = write_replay(tmp / "rp", {"a1": "hayis"}, name="bad")
    (tmp / "rp" / "bad.jsonl").write_bytes(raw)
    return manifest


def malformed_line(tmp: Path) -> tuple[Path, str]:
    return _replies(tmp, b'{"id": "a1", "reply": "hayis"}\n{"id": "a2", "reply": \n'), "bad.jsonl:2"


def non_utf8_line(tmp: Path) -> tuple[Path, str]:
    return _replies(tmp, b'{"id": "a1", "reply": "hayis"}\n{"id": "a2", "reply": "\xff\xfe"}\n'), "bad.jsonl:2"


def duplicate_ids(tmp: Path) -> tuple[Path, str]:
    return _replies(tmp, b'{"id": "a1", "reply": "hayis"}\n{"id": "a1", "reply": "again"}\n'), "bad.jsonl:2"


CORPUS: list[Callable[[Path], tuple[Path, str]]] = [no_config_json, corrupt_safetensors, config_json_not_json,
                                                   malformed_line, non_utf8_line, duplicate_ids]


def _counts(store: Store) -> dict[str, int]:
    tables = [t for (t,) in store.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")]
    return {t: store.query(f'SELECT count(*) FROM "{t}"')[0][0] for t in sorted(tables)}


@pytest.fixture
def used_store(tmp_path: Path) -> tuple[Path, Path, dict[str, int]]:
    """A store that already holds a run, so "no new rows" is checked against real tables."""
    suite = write_suite(tmp_path / "suite", ROWS)
    good = write_replay(tmp_path / "good", {r["id"]: r["reference"] for r in ROWS}, name="good")
    db = tmp_path / "t.duckdb"
    result = CliRunner().invoke(app, ["run", "-c", str(good), "-s", str(suite), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return suite, db, _counts(Store(db))


@pytest.mark.parametrize("bad_input", CORPUS, ids=lambda f: f.__name__)
def test_bad_checkpoint_input_writes_nothing(tmp_path: Path, used_store, bad_input) -> None:
    suite, db, before = used_store
    manifest, named = bad_input(tmp_path)
    result = CliRunner().invoke(app, ["run", "-c", str(manifest), "-s", str(suite), "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert named in " ".join(result.output.split())
    assert _counts(Store(db)) == before
    assert sum(before.values()) > 0 and json.dumps(before)


def test_the_runner_checks_a_checkpoint_built_in_code_before_writing(tmp_path: Path, used_store) -> None:
    from evalharness.checkpoints import Checkpoint
    from evalharness.config import Config
    from evalharness.errors import InputError
    from evalharness.runner import Runner
    from evalharness.suites import load_suite

    suite, db, before = used_store
    manifest, _ = corrupt_safetensors(tmp_path)
    checkpoint = Checkpoint(name="corrupt", backend="transformers", model=str(tmp_path / "corrupt"))
    with pytest.raises(InputError, match="model.safetensors"):
        Runner(Config(), Store(db)).run(checkpoint, load_suite(suite))
    assert _counts(Store(db)) == before
