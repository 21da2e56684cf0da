"""Retirement through the real openai SDK against the shared fake's models endpoint."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from evalharness.checkpoints import Checkpoint, load_checkpoint
from evalharness.monitor.retirement import lookup_retirement, models_to_check, parse_shutdown_date
from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer

TODAY = date(2026, 12, 1)
FT = "ft:gpt-4.1-mini-2025-04-14:stoney::abc123"
LOOPBACK = {"OPENAI_API_KEY": ["127.0.0.1"]}  # the operator's [keys]: the loopback fake stands in for OpenAI


def _checkpoint(tmp_path: Path, url: str, model: str = FT, backend: str = "openai") -> Checkpoint:
    path = tmp_path / "ft.toml"
    path.write_text(f'name = "stoney-ft"\nbackend = "{backend}"\nmodel = "{model}"\nbase_url = "{url}/v1"\n',
                    encoding="utf-8")
    return load_checkpoint(path)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-retirement-key")


def test_a_fine_tune_retires_with_its_base_model(tmp_path: Path) -> None:
    in_30 = (TODAY + timedelta(days=30)).isoformat()
    behaviour = FakeBehaviour(models={FT: None, "gpt-4.1-mini-2025-04-14": in_30})
    with FakeProviderServer(behaviour) as fake:
        audit: list = []
        info = lookup_retirement(_checkpoint(tmp_path, fake.url), TODAY, audit=audit, key_hosts=LOOPBACK)
    assert [(x.model, x.role, x.status) for x in info.lookups] == [
        (FT, "model", "ok"), ("gpt-4.1-mini-2025-04-14", "base model", "ok")]
    assert info.days_left == 30 and info.within(60) and not info.within(29)
    assert info.gone is None
    assert info.describe() == "base model 'gpt-4.1-mini-2025-04-14' shuts down on 2026-12-31 (in 30 day(s))"
    assert [(r.purpose, r.endpoint, r.status) for r in audit] == [("retirement", "models.retrieve", "ok")] * 2


def test_a_404_model_is_gone(tmp_path: Path) -> None:
    with FakeProviderServer(FakeBehaviour(models={"gpt-4.1-mini-2025-04-14": None})) as fake:
        info = lookup_retirement(_checkpoint(tmp_path, fake.url), TODAY, key_hosts=LOOPBACK)
    assert info.gone is not None and info.gone.model == FT
    assert "404" in info.describe() and "is gone" in info.describe()


def test_other_providers_announce_no_dates(tmp_path: Path) -> None:
    info = lookup_retirement(_checkpoint(tmp_path, "http://127.0.0.1:9", model="llama", backend="openai_compatible"),
                             TODAY)
    assert [x.status for x in info.lookups] == ["unsupported"]
    assert info.days_left is None and "announces no shutdown dates" in info.describe()


def test_model_ids_and_dates() -> None:
    assert [m for m, _ in models_to_check(Checkpoint(name="x", backend="openai", model=FT))] == [
        FT, "gpt-4.1-mini-2025-04-14"]
    assert models_to_check(Checkpoint(name="x", backend="openai", model="gpt-4o")) == [("gpt-4o", "model")]
    assert parse_shutdown_date("2027-01-14") == date(2027, 1, 14)
    assert parse_shutdown_date("2027-01-14T00:00:00Z") == date(2027, 1, 14)
    assert parse_shutdown_date(1799884800) == date(2027, 1, 14)
    assert parse_shutdown_date(None) is None and parse_shutdown_date("soon") is None
