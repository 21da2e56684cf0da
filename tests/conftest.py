"""Shared fixtures. Every test runs offline: a model hub fetch would fail loudly, as it must in production."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data" / "stoney_valid.jsonl"


@pytest.fixture
def repo_root() -> Path:
    return ROOT


#: Every store test runs on both engines: the DuckDB file and PostgreSQL (a throwaway cluster: evalharness/testing/postgres.py).
ENGINES = ("duckdb", "postgresql")


@pytest.fixture(scope="session")
def pg_base():
    """The URL of a PostgreSQL database for this test session (started here, stopped at the end)."""
    from evalharness.testing.postgres import Cluster

    cluster = Cluster()
    try:
        url = cluster.start()
    except RuntimeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and could not be started: {exc}")
        pytest.skip(f"PostgreSQL half skipped: {exc}")
    yield url
    cluster.stop()


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty store on each engine (a DuckDB file; a PostgreSQL schema of its own), also set as
    EVALHARNESS_DB so that commands and subprocesses of the test use it."""
    if request.param == "duckdb":
        url = str(tmp_path / "test.duckdb")
    else:
        from evalharness.testing.postgres import drop_schema, new_schema

        base = request.getfixturevalue("pg_base")
        schema, url = new_schema(base)
        request.addfinalizer(lambda: drop_schema(base, schema))
    monkeypatch.setenv("EVALHARNESS_DB", url)
    return url


@pytest.fixture
def store(store_url: str):
    from evalharness.store import Store

    return Store(store_url)


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever writes the developer's real evalharness.duckdb."""
    monkeypatch.setenv("EVALHARNESS_DB", str(tmp_path / "default.duckdb"))
