"""Language cards: `languages/<code>.toml`, the facts about a language that scoring and splitting need.

A card is data a community writes, not code: its letters and marks, what a word of the language looks
like, the spelling equivalences it accepts as "the same word", and where its own lexicon and analyser
live on its machine. `load_card("sto")` finds a card by code; `Language` (in `orthography.py`) compiles
one into the functions the harness calls.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError
from ..jsonl import nfc
from ..tomlfile import read_toml

#: the cards bundled with a source checkout (`languages/` beside the package)
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "languages"
CARD_HINT = "see languages/README.md for how a language card is written"


class Source(BaseModel):
    """Where a fact of the card comes from: every rule should be traceable to the community or a reference."""

    model_config = ConfigDict(extra="forbid")
    what: str
    where: str


class Letters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alphabet: list[str] = Field(min_length=1, description="graphemes, lower case, e.g. 'a', 'â', 'ch'")
    marks: list[str] = Field(default_factory=list, description="combining marks the orthography uses")

    @field_validator("alphabet")
    @classmethod
    def _nfc_lower(cls, value: list[str]) -> list[str]:
        out = [nfc(v).lower() for v in value]
        if any(not v.strip() or any(c.isspace() for c in v) for v in out):
            raise ValueError("graphemes must be non-empty and without spaces")
        return out


class Words(BaseModel):
    model_config = ConfigDict(extra="forbid")
    distinctive: list[str] = Field(
        default_factory=list, description="letters that make a token a word of the language on their own"
    )
    min_length: int = Field(2, ge=1)
    contact_words: str = Field("", description="a contact language's word list, e.g. 'pyspellchecker:en'")
    not_words: list[str] = Field(default_factory=list)
    stem_marker: str = ""

    @field_validator("distinctive", "not_words")
    @classmethod
    def _nfc_lower(cls, value: list[str]) -> list[str]:
        return [nfc(v).lower() for v in value]


class FoldRule(BaseModel):
    """One spelling-system equivalence: `from` is written `to` in the card's orthography."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from", min_length=1)
    to: str
    source: str = Field(min_length=1, description="where the equivalence comes from")

    @field_validator("from_", "to")
    @classmethod
    def _nfc(cls, value: str) -> str:
        return nfc(value)


class Normalise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    casefold: bool = True
    strip_marks: bool = True
    fold: list[FoldRule] = Field(default_factory=list)


class PathSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = ""


class LanguageCard(BaseModel):
    """`languages/<code>.toml`, validated strictly: an unknown key is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    autonym: str = ""
    sources: list[Source] = Field(default_factory=list)
    letters: Letters
    words: Words = Field(default_factory=Words)
    normalise: Normalise = Field(default_factory=Normalise)
    lexicon: PathSetting = Field(default_factory=PathSetting)
    analyser: PathSetting = Field(default_factory=PathSetting)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError("must be a language code such as 'sto' (letters, digits, '-' or '_')")
        return value


def card_dirs(extra: list[Path] | None = None) -> list[Path]:
    """Where cards are looked for, first match wins: given folders, $EVALHARNESS_LANGUAGES, ./languages, bundled."""
    dirs = list(extra or [])
    env = os.environ.get("EVALHARNESS_LANGUAGES")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += [Path.cwd() / "languages", BUNDLED_DIR]
    return dirs


def find_card(code: str, dirs: list[Path] | None = None) -> Path:
    searched = card_dirs(dirs)
    for folder in searched:
        candidate = folder / f"{code}.toml"
        if candidate.is_file():
            return candidate
    raise InputError(
        f"no language card for '{code}'",
        field="language",
        hint=f"write languages/{code}.toml (looked in: {', '.join(str(d) for d in searched)}); " + CARD_HINT,
    )


def read_card(path: str | Path) -> LanguageCard:
    path = Path(path)
    data = read_toml(path, what="language card", hint=CARD_HINT)
    try:
        card = LanguageCard.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(str(p) for p in err["loc"]).replace("from_", "from")
        raise InputError(err["msg"], path=path, field=field_name, hint=CARD_HINT) from None
    if card.code != path.stem:
        raise InputError(
            f"the card's code '{card.code}' differs from its file name",
            path=path,
            field="code",
            hint=f"name the file {card.code}.toml",
        )
    return card


def load_card(code_or_path: str | Path, dirs: list[Path] | None = None) -> LanguageCard:
    """A card by code ('sto') or by path ('languages/sto.toml')."""
    text = str(code_or_path)
    if text.endswith(".toml") or os.sep in text or "/" in text:
        return read_card(text)
    return read_card(find_card(text, dirs))
