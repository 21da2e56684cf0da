"""Fixtures for judge tests: tiny suites, replay checkpoints, loopback fake judge servers, judge configs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from evalharness.config import Config, MetricsConfig
from evalharness.judge.settings import JudgeConfig
from evalharness.providers.settings import ProviderSettings

from .fakes import FakeJudgeServer, Script

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = ROOT / "rubrics" / "cultural_authenticity.toml"

SUITE_TOML = """name = "{name}"
version = "1.0.0"
kind = "{kind}"
description = "judge test suite"
license = "test"

[provenance]
source = "tests"

[governance]
allowed_uses = {uses}
"""

ROWS = [
    {"id": "q1", "prompt": "What does `keya` mean?", "reference": "`keya` means 'turtle'.", "direction": "sto-en"},
    {"id": "q2", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"},
    {"id": "q3", "prompt": "What is `îsta`?", "reference": "`îsta` means 'eye'.", "direction": "sto-en"},
]
REPLIES = {"q1": "`keya` means 'turtle'.", "q2": "hayis", "q3": "`îsta` means 'ear'."}


def write_suite(folder: Path, rows: list[dict], *, name: str = "judged", kind: str = "dictionary_qa",
                uses: tuple[str, ...] = ("evaluation", "external_judging")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "suite.toml").write_text(SUITE_TOML.format(name=name, kind=kind, uses=json.dumps(list(uses))),
                                       encoding="utf-8")
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


def judge_config(server: FakeJudgeServer | None, *, provider: str = "gemini", samples: int = 1,
                 rubric: Path = RUBRIC, enabled: bool = True, model: str = "judge-model", **extra) -> Config:
    """A config with chrF and CAS, the judge pointed at a fake server, retries without waiting."""
    base = None
    if server is not None:
        base = server.url if provider == "gemini" else server.url + "/v1"
    judge = JudgeConfig(enabled=enabled, provider=provider, model=model if enabled else None, base_url=base,
                        samples=samples, rubric=str(rubric), **extra)
    fast = ProviderSettings(backoff_s=0.0, max_backoff_s=0.0, max_retries=2, timeout_s=10)
    return Config(metrics=MetricsConfig(enabled=["chrf", "cas"], required=[]), judge=judge,
                  providers={"gemini": fast, "openai": fast, "openai_compatible": fast})


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "test-google-key-0123456789")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-0123456789")


@pytest.fixture
def fake_server() -> Iterator[Callable[[Script], FakeJudgeServer]]:
    servers: list[FakeJudgeServer] = []

    def start(script: Script) -> FakeJudgeServer:
        server = FakeJudgeServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suites" / "judged", ROWS)


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    return write_replay(tmp_path / "ck", REPLIES)
