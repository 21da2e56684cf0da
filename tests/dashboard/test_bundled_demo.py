"""Every page over a real store made from the bundled demo: the demo checkpoints on the bundled narrative suite,
gated and recorded through the real runner and gate — what a community sees after the main job."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalharness.checkpoints import find_checkpoint
from evalharness.community.accounts import add_reviewer
from evalharness.config import Config, MetricsConfig, load_config
from evalharness.gate.pipeline import run_rounds
from evalharness.store import Store
from evalharness.suites import load_suite

from .conftest import ROOT, goto, sign_in, texts

pytestmark = pytest.mark.slow
ADMIN, PASSWORD = "Tina Fox", "correct horse battery"


@pytest.fixture(scope="module")
def bundled_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundled") / "evalharness.duckdb"
    base = load_config(ROOT / "evalharness.toml")
    config = Config(metrics=MetricsConfig(enabled=["chrf++", "bits_per_char", "exact_match"], required=["chrf++"]),
                    gate=base.gate.model_copy(update={"guards": {"bits_per_char": 0.05}}), source=base.source)
    store = Store(path)
    suite = load_suite(ROOT / "suites" / "stoney-narrative-demo")
    names = ["stoney-base", "stoney-v2", "stoney-v3-lora"]
    checkpoints = [find_checkpoint(n, ROOT / "checkpoints") for n in names]
    results = run_rounds(config, store, checkpoints[1:], [suite], champion=checkpoints[0], record=False)
    assert [r.decision.outcome for r in results] == ["advance", "revert"]  # v3-lora relapses (see README)
    add_reviewer(store, ADMIN, "admin", PASSWORD)
    return path


@pytest.fixture
def demo_app(bundled_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    copy = tmp_path / "evalharness.duckdb"
    shutil.copyfile(bundled_store, copy)
    monkeypatch.setenv("EVALHARNESS_DB", str(copy))
    monkeypatch.setenv("EVALHARNESS_CONFIG", str(ROOT / "evalharness.toml"))
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    return lambda: AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=120)


def _open(demo_app, page: str | None = None, *, signed_in: bool = False):
    at = demo_app().run()
    assert not at.exception, at.exception
    if signed_in:
        sign_in(at, ADMIN, PASSWORD)
    if page:
        goto(at, page).run()
    assert not at.exception, at.exception
    return at


def test_overview_shows_the_demo_decisions(demo_app) -> None:
    shown = texts(_open(demo_app))
    assert "stoney-v3-lora" in shown and "stoney-v2" in shown and "stoney-narrative-demo" in shown
    assert "relapse" in shown.lower()  # the reason v3-lora was held back is there in words


def test_compare_item_review_corrections_and_ask_render(demo_app) -> None:
    compare = _open(demo_app, "compare")
    table = compare.dataframe[0].value
    assert len(table) > 0 and table["item_id"].str.startswith("sv-").all()
    item = _open(demo_app, "item")
    assert "stoney-base" in texts(item)
    review = _open(demo_app, "review", signed_in=True)
    assert "Please sign in" not in texts(review)
    corrections = _open(demo_app, "corrections", signed_in=True)
    assert not corrections.error
    ask = _open(demo_app, "ask")
    assert "no model answered" in texts(ask).lower()  # no key here: retrieval only, said plainly


def test_a_trial_run_is_never_called_the_champion(demo_app) -> None:
    """The demo store above was gated without --record: no page may speak of a champion that is not recorded."""
    overview = texts(_open(demo_app))
    assert "No champion has been chosen yet" in overview
    assert "than the champion" not in overview
    assert "Passed — better than stoney-base" in overview and "not recorded" in overview
    compare = _open(demo_app, "compare")
    assert "No champion is recorded yet" in texts(compare)
    assert all("champion" not in box.label.lower() for box in compare.selectbox)
