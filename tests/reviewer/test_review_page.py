"""The dashboard page "Ask about the project", run by Streamlit's AppTest against a loopback Gemini."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from .conftest import DECISION_ID, KEY, RUN_ID

PAGE = Path(__file__).resolve().parents[2] / "dashboards" / "pages" / "ask.py"


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def page_env(project, tmp_path, monkeypatch, retriever):
    def configure(**reviewer):
        config = project.write_config(tmp_path / "eh.toml", **reviewer)
        monkeypatch.setenv("EVALHARNESS_CONFIG", str(config))
        monkeypatch.setenv("EVALHARNESS_DB", str(project.db))
    return configure


def _texts(message) -> str:
    return "\n".join(m.value for m in message.markdown)


def test_the_assessment_streams_in_and_follow_ups_carry_history(page_env, fake_gemini, monkeypatch):
    page_env()
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)  # read by the SDK itself
    fake_gemini.script = [["The project ", f"reverted stoney-v2 [decision:{DECISION_ID}]."],
                          ["Because ", "chrF++ fell."]]
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Ask about the project"
    assert not at.info  # a key is set: no retrieval-only notice
    assert f"The project reverted stoney-v2 [decision:{DECISION_ID}]." in _texts(at.chat_message[0])
    assert f"`decision:{DECISION_ID}`" in _texts(at.chat_message[0])  # the citation is shown
    at.chat_input[0].set_value("Why was stoney-v2 reverted?").run()
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["assistant", "user", "assistant"]
    assert "Because chrF++ fell." in _texts(at.chat_message[2])
    second = fake_gemini.stream_requests()[1]
    assert fake_gemini.turns(second)[1] == ("model", f"The project reverted stoney-v2 [decision:{DECISION_ID}].")
    page_text = " ".join(_texts(m) for m in at.chat_message) + " ".join(e.value for e in at.markdown)
    assert KEY not in page_text


def test_without_a_key_the_page_shows_retrieval_only(page_env, fake_gemini):
    page_env(base_url=fake_gemini.base_url)
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    assert "retrieval only" in at.info[0].value
    first = _texts(at.chat_message[0])
    assert "No model answered" in first and f"[run:{RUN_ID}]" in first
    assert fake_gemini.requests == []


def test_a_bad_config_is_shown_not_raised(page_env, monkeypatch, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[reviewer]\nmodle = 'x'\n")
    monkeypatch.setenv("EVALHARNESS_CONFIG", str(bad))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    assert "reviewer.modle" in at.error[0].value


def test_the_page_runs_under_navigation(page_env, tmp_path):
    """As the dashboard app will mount it: `st.navigation` over page files."""
    page_env()
    app = tmp_path / "app.py"
    app.write_text("import streamlit as st\n"
                   f"st.navigation([st.Page({str(PAGE)!r}, title='Ask about the project')]).run()\n")
    at = AppTest.from_file(str(app), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Ask about the project"
    assert "No model answered" in _texts(at.chat_message[0])
