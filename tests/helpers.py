"""Small builders shared by test packages: a suite folder and a replay checkpoint in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

SUITE_TOML = """name = "{name}"
version = "1.0.0"
kind = "{kind}"
description = "test suite"
license = "test"
{language}
[provenance]
source = "tests"

[governance]
allowed_uses = {uses}
"""


def write_suite(folder: Path, rows: list[dict], *, name: str = "tiny", kind: str = "dictionary_qa",
                uses: tuple[str, ...] = ("evaluation",), language: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lang = f'language = "{language}"\n' if language else ""
    (folder / "suite.toml").write_text(SUITE_TOML.format(name=name, kind=kind, uses=json.dumps(list(uses)),
                                                         language=lang), encoding="utf-8")
    with (folder / "items.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder


def write_replay(folder: Path, replies: dict[str, str], name: str = "echo") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
        for item_id, reply in replies.items():
            fh.write(json.dumps({"id": item_id, "reply": reply}, ensure_ascii=False) + "\n")
    manifest = folder / f"{name}.toml"
    manifest.write_text(f'name = "{name}"\nbackend = "replay"\nmodel = "recorded"\nreplies = "{name}.jsonl"\n',
                        encoding="utf-8")
    return manifest
