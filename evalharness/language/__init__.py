"""Language cards (`languages/<code>.toml`) and the functions compiled from them.

from evalharness.language import load_language
sto = load_language("sto")
sto.fold("sų́ga") == sto.fold("sûga")      # spelling variants fold alike
sto.words("Use wîcha or keya here")        # ['wîcha', 'keya']: words of the language, quoted or not
sto.letters, sto.special_letters           # the alphabet (a character palette reads these)
"""

from .card import LanguageCard, card_dirs, find_card, load_card, read_card
from .orthography import Language, language_or_none, load_language

__all__ = [
    "Language",
    "LanguageCard",
    "card_dirs",
    "find_card",
    "language_or_none",
    "load_card",
    "load_language",
    "read_card",
]
