"""The rubric file (`rubrics/*.toml`): what the judge grades, written so the community can edit it.

A rubric names criteria (each with a description and what a 1, a 3 and a 5 look like), an overall grade
described the same way, and a fixed set of flags. The verdict schema the judge must fill is built from it,
so the judge can only score the criteria and raise the flags listed here.

The rubric's identity is the sha256 of the file's bytes — the value `sha256sum` prints — so anyone can
check which rubric produced a stored score. Any edit, even a comma, is a new rubric: verdicts made under
the old file stay in the cache under the old hash, and nothing is silently re-used across rubric versions.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError

_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
#: upper bounds that keep a prompt reasonable; a longer rubric is almost always a paste accident
_MAX_TEXT = 2000


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"'{value}' is not a valid id: use lower_snake_case letters, digits and _ (max 48)")
    return value


class Level(BaseModel):
    """What a 1, a 3 and a 5 look like (2 and 4 lie between them)."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=_MAX_TEXT)
    score_1: str = Field(min_length=1, max_length=_MAX_TEXT)
    score_3: str = Field(min_length=1, max_length=_MAX_TEXT)
    score_5: str = Field(min_length=1, max_length=_MAX_TEXT)


class Criterion(Level):
    name: str = Field(min_length=1, max_length=120)


class Flag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=_MAX_TEXT)


class RubricSpec(BaseModel):
    """The TOML file, validated strictly: a misspelt key is an error naming it, never a silent change."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    version: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=_MAX_TEXT)
    language_notes: str = Field("", max_length=4 * _MAX_TEXT)
    criteria: dict[str, Criterion] = Field(min_length=1, max_length=12)
    overall: Level
    flags: dict[str, Flag] = Field(default_factory=dict, max_length=16)

    @field_validator("criteria", "flags")
    @classmethod
    def _ids(cls, value: dict) -> dict:
        for key in value:
            _check_id(key)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_id(value)


@dataclass(frozen=True)
class Rubric:
    """A loaded rubric plus the hash of the exact bytes it came from."""

    spec: RubricSpec
    sha256: str
    text: str
    path: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def criteria_ids(self) -> tuple[str, ...]:
        return tuple(self.spec.criteria)

    @property
    def flag_ids(self) -> tuple[str, ...]:
        return tuple(self.spec.flags)

    @property
    def label(self) -> str:
        """Short, human-readable identity: name@version#hash12."""
        return f"{self.name}@{self.version}#{self.sha256[:12]}"


def parse_rubric(data: bytes, *, path: str | Path | None = None) -> Rubric:
    """Validate rubric bytes. Raises InputError naming the file and the key at fault."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 ({exc})", path=path) from None
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML ({exc})", path=path, hint="see docs/judge.md for the rubric format") from None
    try:
        spec = RubricSpec.model_validate(raw)
    except ValidationError as exc:
        # a misspelt key also makes the real key "missing": name the misspelling, the more useful of the two
        err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        key = ".".join(str(p) for p in err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; see docs/judge.md for the rubric format)"
        raise InputError(message, path=path, field=key or None) from None
    return Rubric(
        spec=spec, sha256=hashlib.sha256(data).hexdigest(), text=text, path=str(path) if path is not None else None
    )


def load_rubric(path: str | Path) -> Rubric:
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "rubric file not found",
            path=path,
            hint="set [judge] rubric in the config to a rubric TOML (default "
            "rubrics/cultural_authenticity.toml, relative to the config file)",
        )
    return parse_rubric(path.read_bytes(), path=path)
