"""The letter palette's letters, search that ignores diacritics, and Stoney typed decomposed stored composed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from evalharness.community import items, letters, reviews
from evalharness.store import Store

from . import demo_db


def test_palette_comes_from_the_language_card_else_the_built_in_set(monkeypatch) -> None:
    letters._card.cache_clear()
    monkeypatch.setattr(letters, "_card", lambda code: None)
    built_in = letters.palette("sto")
    assert built_in.source == "built in" and {"â", "î", "û", "ṯ", "ẖ"} <= set(built_in.letters)
    assert "Ṯ" in built_in.capitals and "H\u0331" in built_in.capitals  # ẖ has no precomposed capital

    class Card:
        special_letters = ("â", "ṯ")

        @staticmethod
        def fold(text: str) -> str:
            return "folded:" + text

    monkeypatch.setattr(letters, "_card", lambda code: Card())
    assert letters.palette("sto").letters == ("â", "ṯ") and letters.palette("sto").source == "language card"
    assert letters.search_key("x") == "folded:x"


def test_search_key_folds_case_and_marks(monkeypatch) -> None:
    monkeypatch.setattr(letters, "_card", lambda code: None)
    assert letters.search_key("Ṯakî") == "taki"
    assert letters.matches("taki", "the word ṯakî")
    assert letters.matches("TAKI", unicodedata.normalize("NFD", "ṮAKÎ"))  # decomposed, capitals
    assert not letters.matches("taku", "ṯakî")
    assert letters.matches("", "anything")


def test_item_search_finds_stoney_words_typed_without_marks(db: Path, demo) -> None:
    store = Store(db)
    found = items.find_items(store, demo.narrative.content_hash, "ijadathe")
    assert [i for i, _ in found] == ["nc-02"]
    assert [i for i, _ in items.find_items(store, demo.dictionary.content_hash, "hûji ethen")] == ["dq-03"]
    assert len(items.find_items(store, demo.dictionary.content_hash, "")) == 12


def test_text_typed_decomposed_is_stored_composed(db: Path, demo) -> None:
    store = Store(db)
    target = reviews.target(store, demo.run_ids[("stoney-v2", "stoney-dictionary-mini")], "dq-01")
    decomposed = unicodedata.normalize("NFD", "The word is îjadaṯẖe.")
    assert decomposed != "The word is îjadaṯẖe."
    reviews.save_review(store, demo_db.REVIEWER, target, verdict="wrong", narrative=decomposed,
                        note=unicodedata.normalize("NFD", "ṯ missing"))
    [correction] = reviews.list_corrections(store)
    assert correction.narrative == "The word is îjadaṯẖe."
    assert store.query("SELECT note FROM ratings") == [("ṯ missing",)]
