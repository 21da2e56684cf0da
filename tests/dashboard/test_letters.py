"""The letter palette's letters, search that ignores diacritics, and Stoney typed decomposed stored composed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from evalharness.community import items, letters, reviews
from evalharness.store import Store

from . import demo_db


def test_palette_is_the_language_cards_special_letters() -> None:
    from evalharness.language import load_language

    letters._card.cache_clear()
    stoney = letters.palette("sto")
    assert stoney.letters == load_language("sto").special_letters
    assert {"â", "î", "û", "ṯ", "ẖ"} <= set(stoney.letters) and not any(c.isascii() for c in stoney.letters)
    assert "Ṯ" in stoney.capitals and "H\u0331" in stoney.capitals  # ẖ has no precomposed capital
    assert letters.palette("xx").letters == ()  # no card: no palette, never another language's letters


def test_search_key_is_the_cards_folding() -> None:
    from evalharness.language import load_language

    assert letters.search_key("Ṯakî") == "taki" == load_language("sto").fold("Ṯakî")
    assert letters.matches("taki", "the word ṯakî")
    assert letters.matches("TAKI", unicodedata.normalize("NFD", "ṮAKÎ"))  # decomposed, capitals
    assert letters.matches("wicha", "wįčhá")  # the card's spelling equivalences (čh = ch, ą = â)
    assert not letters.matches("taku", "ṯakî")
    assert letters.matches("", "anything")
    assert letters.search_key("Ṯakî", "xx") == "taki"  # a language without a card: case and marks


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
