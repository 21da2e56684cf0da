"""Synthetic suites and replay checkpoints in tmp_path, so gate tests need no model weights.

A `Lab` writes a suite (suite.toml + items.jsonl), replay checkpoints (manifest + replies JSONL) and a
config, then runs the real Runner and the real gate over a tmp DuckDB.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from evalharness.checkpoints import Checkpoint, load_checkpoint
from evalharness.config import Config, load_config
from evalharness.store import Store
from evalharness.suites import Suite, load_suite

LETTERS = "aâeiîoôuhknmtṯsyzgbw"

METRICS = ["chrf", "chrf++", "exact_match", "edit_similarity", "word_accuracy", "bits_per_char"]
GATE = {"primary": {"chrf++": 0.0}, "guards": {"exact_match": 5.0, "bits_per_char": 0.05}, "required": ["chrf++"],
        "resamples": 1000, "seed": 12345}


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 8))) for _ in range(n)]


def corrupt(text: str, share: float, rng: random.Random) -> str:
    """Replace about `share` of the words by random ones (at least one when share > 0)."""
    parts = text.split()
    k = max(1, round(share * len(parts))) if share > 0 else 0
    for index in rng.sample(range(len(parts)), k):
        parts[index] = words(rng, 1)[0]
    return " ".join(parts)


def _toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@dataclass
class Lab:
    root: Path
    suites: dict[str, Path] = field(default_factory=dict)
    #: the store the gate writes: a DuckDB file in root by default, or a PostgreSQL URL (both engines are tested)
    store_url: str | None = None

    def suite(self, name: str, items: list[dict], *, kind: str = "dictionary_qa", version: str = "1.0.0",
              language: str = "") -> Path:
        folder = self.root / "suites" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "suite.toml").write_text(
            f'name = "{name}"\nversion = "{version}"\nkind = "{kind}"\ndescription = "synthetic test suite"\n'
            f'license = "test"\nlanguage = "{language}"\n\n[provenance]\nsource = "tests/gate/conftest.py"\n\n[governance]\n'
            'allowed_uses = ["evaluation"]\n', encoding="utf-8")
        (folder / "items.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items),
                                            encoding="utf-8")
        self.suites[name] = folder
        return folder

    def checkpoint(self, name: str, replies: dict[str, str | None]) -> Path:
        """A replay checkpoint; `None` replies are left out of the file (→ failed items)."""
        folder = self.root / "checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        rows = [{"id": k, "reply": v} for k, v in replies.items() if v is not None]
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                              encoding="utf-8")
        manifest = folder / f"{name}.toml"
        manifest.write_text(f'name = "{name}"\nbackend = "replay"\nmodel = "{name}"\nreplies = "{name}.jsonl"\n',
                            encoding="utf-8")
        return manifest

    def config(self, *, metrics: list[str] | None = None, **gate: object) -> Path:
        policy = {**GATE, **gate}
        store = json.dumps(self.store_url) if self.store_url else '"gate.duckdb"'
        lines = ["[store]", f"url = {store}", "", "[run]", "checkpoints = []",
                 f"suites = {json.dumps(sorted(self.suites))}", 'checkpoints_dir = "checkpoints"',
                 'suites_dir = "suites"', "", "[metrics]", f"enabled = {json.dumps(metrics or METRICS)}",
                 'required = ["chrf++"]', "", "[gate]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in policy.items()]
        path = self.root / "evalharness.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def load(self) -> tuple[Config, Store]:
        config = load_config(self.root / "evalharness.toml")
        return config, Store(self.store_url or self.root / "gate.duckdb")

    def ckpt(self, name: str) -> Checkpoint:
        return load_checkpoint(self.root / "checkpoints" / f"{name}.toml")

    def loaded_suites(self) -> list[Suite]:
        return [load_suite(p) for _, p in sorted(self.suites.items())]


def dictionary_items(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [{"id": f"q{i:04d}", "prompt": f"question {i}", "reference": " ".join(words(rng, 6)),
             "direction": "en-sto" if i % 2 else "sto-en"} for i in range(n)]


def corrupted_replies(items: list[dict], share: float, seed: int) -> dict[str, str | None]:
    rng = random.Random(seed)
    return {i["id"]: corrupt(i["reference"], share, rng) for i in items}
