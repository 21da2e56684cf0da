"""Language cards: the bundled Stoney card, folding, words of the language, and a new language as a card."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.errors import InputError
from evalharness.language import load_card, load_language
from evalharness.suites import load_suite

from tests.helpers import write_suite


@pytest.fixture(scope="module")
def sto():
    return load_language("sto")


def test_bundled_stoney_card_has_its_letters_and_sources(sto) -> None:
    assert {"â", "î", "û", "ṯ", "ẖ"} <= set(sto.special_letters)
    assert {"a", "ch", "rh", "th"} <= set(sto.letters)
    card = load_card("sto")
    assert card.sources and all(s.where for s in card.sources)
    assert all(rule.source for rule in card.normalise.fold)


@pytest.mark.parametrize(("variant", "standard"), [
    ("sų́ga", "sûga"), ("wįčhá", "wîcha"), ("rhâîtach", "rhaîtach"), ("Ĩyãħé", "Îyârhe"), ("WÎCHA", "wîcha"),
    ("hnuṯẖija", "hnuthija"),
])
def test_spelling_variants_fold_alike(sto, variant: str, standard: str) -> None:
    assert sto.fold(variant) == sto.fold(standard)


def test_folding_keeps_different_words_apart(sto) -> None:
    assert sto.fold("keya") != sto.fold("hayis")
    assert sto.fold("ch") == "ch" and sto.fold("čh") == "ch"


def test_words_of_the_language_quoted_or_not(sto) -> None:
    text = ("A speaker uses hayis, not 'keya', and hnustâch differs from adomnî- in Stoney Nakoda; "
            "it doesn't mean -ach or the English word almost.")
    assert sto.words(text) == ["hayis", "keya", "hnustâch", "adomnî"]
    assert not sto.is_word("Cochrane")      # 'c' outside 'ch' is not a letter of the alphabet
    assert not sto.is_word("meaning")       # an English word without a distinctive letter
    assert sto.is_word("tâga") and sto.is_word("Tâga")


def test_a_new_language_is_a_card_not_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "xyz.toml").write_text('''code = "xyz"
name = "Example"
[letters]
alphabet = ["a", "e", "ŋ", "kh", "t"]
[words]
distinctive = ["ŋ"]
[[normalise.fold]]
from = "ng"
to = "ŋ"
source = "the community's spelling guide, 2024"
''', encoding="utf-8")
    monkeypatch.setenv("EVALHARNESS_LANGUAGES", str(cards))
    xyz = load_language("xyz")
    assert xyz.fold("Tang") == xyz.fold("taŋ") == "taŋ"  # the rule; ŋ is a letter of its own, not a mark
    assert xyz.words("taŋe and khat") == ["taŋe", "khat"]
    suite = load_suite(write_suite(tmp_path / "s", [{"id": "1", "prompt": "p", "reference": "taŋe"}],
                                   language="xyz"))
    assert suite.language() is not None and suite.language().code == "xyz"


def test_bad_cards_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "abc.toml"
    bad.write_text('code = "abc"\nname = "A"\n[letters]\nalphabet = ["a"]\nvowels = ["a"]\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_card(bad)
    assert info.value.field == "letters.vowels" and info.value.path.endswith("abc.toml")
    wrong = tmp_path / "def.toml"
    wrong.write_text('code = "abc"\nname = "A"\n[letters]\nalphabet = ["a"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="file name"):
        load_card(wrong)
    no_source = tmp_path / "ghi.toml"
    no_source.write_text('code = "ghi"\nname = "A"\n[letters]\nalphabet = ["a"]\n'
                         '[[normalise.fold]]\nfrom = "x"\nto = "a"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_card(no_source)
    assert info.value.field == "normalise.fold.0.source"


def test_a_suite_naming_an_unknown_language_is_an_error(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", [{"id": "1", "prompt": "p", "reference": "r"}], language="qqq")
    with pytest.raises(InputError) as info:
        load_suite(folder)
    assert info.value.field == "language" and "languages/qqq.toml" in str(info.value)
