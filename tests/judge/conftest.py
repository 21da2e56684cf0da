"""Fixtures for judge tests: tiny suites, replay checkpoints, loopback fake judge servers, judge configs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from evalharness.config import Config, MetricsConfig
from evalharness.judge.settings import JudgeConfig
from evalharness.providers.settings import ProviderSettings

from tests import helpers
from tests.helpers import write_replay

from .fakes import FakeJudgeServer, Script

__all__ = ["write_replay", "write_suite"]

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = ROOT / "rubrics" / "cultural_authenticity.toml"

ROWS = [
    {"id": "q1", "prompt": "What does `keya` mean?", "reference": "`keya` means 'turtle'.", "direction": "sto-en"},
    {"id": "q2", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"},
    {"id": "q3", "prompt": "What is `îsta`?", "reference": "`îsta` means 'eye'.", "direction": "sto-en"},
]
REPLIES = {"q1": "`keya` means 'turtle'.", "q2": "hayis", "q3": "`îsta` means 'ear'."}


def write_suite(folder: Path, rows: list[dict], *, name: str = "judged", kind: str = "dictionary_qa",
                uses: tuple[str, ...] = ("evaluation", "external_judging")) -> Path:
    """A suite that allows external judging unless told otherwise."""
    return helpers.write_suite(folder, rows, name=name, kind=kind, uses=uses)


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
                  providers={"gemini": fast, "openai": fast, "openai_compatible": fast},
                  keys={name: ["127.0.0.1"] for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY")})


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
