"""Suites: the held-out items a checkpoint is measured on, with their provenance and governance.

A suite lives in `suites/<name>/` as `items.jsonl` (one item a line) and `suite.toml` (metadata). Its
*content hash* — over the canonical items and the metadata that changes meaning — is its identity:
runs on different suite versions are never compared.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError
from .extraction import ExtractionSpec
from .jsonl import nfc, optional_str, read_jsonl, require_str, write_jsonl
from .paths import folder_problem
from .tomlfile import line_of, read_toml

if TYPE_CHECKING:
    from .language import Language

SuiteKind = Literal["dictionary_qa", "narrative_correction"]
Use = Literal["evaluation", "external_generation", "external_judging", "publication", "training"]
ALL_USES: tuple[str, ...] = ("evaluation", "external_generation", "external_judging", "publication", "training")


@dataclass(frozen=True)
class Item:
    """One held-out item. For narrative-correction items `reference` is the narrative reply."""

    id: str
    prompt: str
    reference: str
    direction: str = "unknown"
    system: str | None = None
    tags: tuple[str, ...] = ()
    disallowed: str | None = None
    narrative: str | None = None
    headwords: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.id,
            "prompt": self.prompt,
            "reference": self.reference,
            "direction": self.direction,
        }
        if self.system is not None:
            row["system"] = self.system
        row["tags"] = list(self.tags)
        if self.headwords:
            row["headwords"] = list(self.headwords)
        if self.disallowed is not None:
            row["disallowed"] = self.disallowed
        if self.narrative is not None:
            row["narrative"] = self.narrative
        return row


class Governance(BaseModel):
    """What the community allows this suite to be used for. Default-deny: a use not listed is refused."""

    model_config = ConfigDict(extra="forbid")
    allowed_uses: list[Use] = Field(default_factory=list)
    contains_sensitive_content: bool = True
    review_contact: str = ""
    notes: str = ""

    def allows(self, use: str) -> bool:
        return use in self.allowed_uses


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    source_path: str = ""
    source_commit: str = ""
    source_sha256: str = ""
    derived_by: str = ""
    authored_by: str = ""
    credit: str = ""
    notes: str = ""
    reviewers: list[str] = Field(default_factory=list)


class SuiteMeta(BaseModel):
    """`suite.toml`. Validated strictly: an unknown key is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")
    name: str
    version: str
    kind: SuiteKind
    description: str
    license: str
    #: the language card (`languages/<code>.toml`) of the language the suite is in; "" = none declared
    language: str = ""
    provenance: Provenance
    #: how the form is taken out of a sentence answer before scoring (both are scored); None = not at all
    extraction: ExtractionSpec | None = None
    governance: Governance = Field(default_factory=Governance)
    #: the metrics this suite is scored with (registered names); None: the config's `[metrics] enabled`.
    #: Not part of the content hash: how a suite is scored does not change what it asks.
    metrics: list[str] | None = None

    @field_validator("metrics")
    @classmethod
    def _registered_metrics(cls, names: list[str] | None) -> list[str] | None:
        from .registry import metric_names, unknown_metrics

        unknown = unknown_metrics(names or [])
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; registered: {list(metric_names())}")
        return names

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, value: str) -> str:
        problem = suite_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def suite_name_problem(name: str) -> str | None:
    """Why `name` cannot name a suite (it becomes a folder name and a label in reports), or None."""
    if not name or any(c.isspace() or c in "/\\" or not c.isprintable() for c in name) or name.startswith("."):
        return (
            "a suite name has no spaces, slashes or control characters and does not start with '.' "
            "(e.g. stoney-dictionary-qa)"
        )
    return None


def check_suite_name(name: str, *, field: str, hint: str | None = None) -> str:
    """Raise InputError naming the field unless `name` can name a suite; return it."""
    problem = suite_name_problem(name)
    if problem:
        raise InputError(f"suite name {name!r} is not allowed: {problem}", field=field, hint=hint)
    return name


@dataclass(frozen=True)
class Suite:
    meta: SuiteMeta
    items: tuple[Item, ...]
    path: Path | None = None
    content_hash: str = field(default="")

    @property
    def name(self) -> str:
        return self.meta.name

    def language(self) -> Language | None:
        """The suite's compiled language card, or None when the suite declares no language."""
        from .language import language_or_none

        return language_or_none(self.meta.language or None)

    def by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}


def compute_content_hash(meta: SuiteMeta, items: tuple[Item, ...]) -> str:
    """sha256 over the canonical JSON of the items and the meaning-bearing metadata.

    Governance and descriptions are excluded: changing who may use a suite does not change what a
    score on it means, so it must not split the run history.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps({"name": meta.name, "version": meta.version, "kind": meta.kind}, sort_keys=True).encode())
    for item in items:
        digest.update(b"\n")
        digest.update(json.dumps(item.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def make_suite(meta: SuiteMeta, items: list[Item] | tuple[Item, ...], path: Path | None = None) -> Suite:
    items = tuple(items)
    _check_unique_ids(items, path)
    return Suite(meta=meta, items=items, path=path, content_hash=compute_content_hash(meta, items))


def _check_unique_ids(items: tuple[Item, ...], path: Path | None) -> None:
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        if item.id in seen:
            raise InputError(
                f"duplicate id '{item.id}'",
                path=path,
                line=number,
                field="id",
                hint="every item id in a suite must be unique",
            )
        seen.add(item.id)


def parse_item(obj: dict[str, Any], *, path: Path | str, line: int, kind: str) -> Item:
    """Validate one native item line. Unknown fields are errors so that typos never vanish."""
    known = {"id", "prompt", "reference", "system", "direction", "tags", "disallowed", "narrative", "headwords"}
    unknown = sorted(set(obj) - known)
    if unknown:
        raise InputError(
            f"unknown field(s) {unknown}",
            path=path,
            line=line,
            field=unknown[0],
            hint=f"allowed fields: {sorted(known)}",
        )
    item_id = obj.get("id")
    if isinstance(item_id, int) and not isinstance(item_id, bool):
        item_id = str(item_id)
        obj = {**obj, "id": item_id}
    ident = require_str(obj, "id", path=path, line=line)
    prompt = require_str(obj, "prompt", path=path, line=line)
    disallowed = optional_str(obj, "disallowed", path=path, line=line)
    narrative = optional_str(obj, "narrative", path=path, line=line)
    if kind == "narrative_correction":
        if disallowed is None or not disallowed.strip():
            raise InputError(
                "narrative-correction items need a non-empty 'disallowed' reply",
                path=path,
                line=line,
                field="disallowed",
            )
        if narrative is None or not narrative.strip():
            raise InputError(
                "narrative-correction items need a non-empty 'narrative' reply", path=path, line=line, field="narrative"
            )
        reference = nfc(obj["reference"]) if isinstance(obj.get("reference"), str) else narrative
        if reference != narrative:
            raise InputError(
                "for narrative-correction items 'reference' must equal 'narrative' (or be omitted)",
                path=path,
                line=line,
                field="reference",
            )
    else:
        reference = require_str(obj, "reference", path=path, line=line)
    direction = optional_str(obj, "direction", path=path, line=line) or "unknown"
    if not _DIRECTION.fullmatch(direction):
        raise InputError(
            f"direction {direction!r} is not a direction label",
            path=path,
            line=line,
            field="direction",
            hint="use a short label such as en-sto, sto-en or explain (letters, digits, - _ . only)",
        )
    tags = _str_list(obj, "tags", path=path, line=line)
    for tag in tags:
        if not _TAG.fullmatch(tag):
            raise InputError(
                f"tag {tag!r} is not a tag label",
                path=path,
                line=line,
                field="tags",
                hint="tags are short labels (up to 64 letters, digits, spaces and - _ . : / + #; no "
                "brackets, parentheses, < > ! ` * or line breaks)",
            )
    headwords = _str_list(obj, "headwords", path=path, line=line)
    return Item(
        id=ident,
        prompt=prompt,
        reference=reference,
        direction=direction,
        system=optional_str(obj, "system", path=path, line=line),
        tags=tuple(tags),
        disallowed=disallowed,
        narrative=narrative,
        headwords=tuple(headwords),
    )


#: Labels that pages show and filter by; kept to plain characters so they can never carry Markdown or HTML.
_DIRECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_TAG = re.compile(r"[\w][\w .:/+#-]{0,63}")


def _str_list(obj: dict[str, Any], key: str, *, path: Path | str, line: int) -> list[str]:
    value = obj.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("expected a list of strings", path=path, line=line, field=key)
    return [nfc(v) for v in value]


def load_meta(path: str | Path) -> SuiteMeta:
    path = Path(path)
    data = read_toml(path, what="suite.toml", hint="every suite folder needs a suite.toml; see suites/README.md")
    try:
        meta = SuiteMeta.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(str(p) for p in err["loc"])
        raise InputError(
            err["msg"],
            path=path,
            line=line_of(path, err["loc"]),
            field=field_name,
            hint="see suites/README.md for the suite.toml schema",
        ) from None
    if meta.language:
        from .language import find_card

        try:
            find_card(meta.language)
        except InputError as exc:
            raise InputError(exc.message, path=path, field="language", hint=exc.hint) from None
    return meta


def load_suite(directory: str | Path) -> Suite:
    """Load and validate `suites/<name>/`: every line checked, nothing dropped, ids unique."""
    directory = Path(directory)
    problem = folder_problem(directory)
    if problem is not None:
        raise InputError(
            f"suite folder {problem}", path=directory, hint="pass a folder holding items.jsonl and suite.toml"
        )
    meta = load_meta(directory / "suite.toml")
    items_path = directory / "items.jsonl"
    items: list[Item] = []
    seen: dict[str, int] = {}
    for line, obj in read_jsonl(items_path):
        item = parse_item(obj, path=items_path, line=line, kind=meta.kind)
        if item.id in seen:
            raise InputError(
                f"duplicate id '{item.id}' (first on line {seen[item.id]})", path=items_path, line=line, field="id"
            )
        seen[item.id] = line
        items.append(item)
    return make_suite(meta, items, path=directory)


def save_suite(suite: Suite, directory: str | Path) -> Path:
    """Write items.jsonl and suite.toml (each atomically)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_jsonl(directory / "items.jsonl", [item.to_json() for item in suite.items])
    toml_path = directory / "suite.toml"
    tmp = toml_path.with_name("suite.toml.tmp")
    tmp.write_text(meta_to_toml(suite.meta), encoding="utf-8")
    tmp.replace(toml_path)
    return directory


def meta_to_toml(meta: SuiteMeta) -> str:
    """Serialise suite metadata as TOML (a flat writer: the schema has only strings, lists and tables)."""
    data = meta.model_dump(exclude_none=True)  # an unset optional key (e.g. metrics) is simply left out
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        if value is None:
            continue  # an optional table that is not set (e.g. no [extraction])
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables:
        lines.append("")
        lines.append(f"[{name}]")
        for key, value in table.items():
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
