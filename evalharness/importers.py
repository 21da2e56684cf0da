"""Importers for the seed project's published formats → native suite items, telling you everything.

Each importer reads its file exactly as published (CRLF, optional BOM, NFC on load) and checks every
record. Nothing is dropped silently:

- every invalid record (or dictionary sense) is listed with its line and field — all of them, not the
  first — and the import fails, unless the caller asks to skip invalid records, in which case each one
  is written with its reason to a rejects file;
- identical (prompt, reference) pairs are merged into one item, and the merges are counted;
- the source's path and sha256 go into the suite's provenance.

Strict helpers (`import_openai_chat`, `import_seed_qa`, `import_dictionary`) return the items and raise
`ImportErrors` (listing every problem) on any invalid record; `import_file` returns an `ImportResult`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .headwords import extract_headwords
from .jsonl import nfc, require_str, scan_jsonl, write_jsonl
from .suites import Item

if TYPE_CHECKING:
    from .language import Language

_EN_STO = re.compile(
    r"\b(in|into) stoney\b|\bstoney (nakoda )?(term|word|phrase|expression|equivalent|translation|noun|verb)"
    r"s? (for|of|to|would|could|describes?)\b|\b(which|what) stoney\b|"
    r"\bhow (would|do|might|can|could) (you|one|a speaker|i|we) (say|translate|express|refer|describe)",
    re.IGNORECASE,
)
_STO_EN = re.compile(
    r"\b(english )?meaning of\b|\bwhat does .{1,80} mean\b|\binto english\b|\bin english\b", re.IGNORECASE
)


def guess_direction(prompt: str) -> str:
    """A transparent, documented rule on the question's content (the chat format has no direction field,
    and the seed Q&A's `source_language` is only the generator's input side).

    `sto-en` asks what a Stoney word means, `en-sto` asks for the Stoney form of an English idea, and
    everything else (grammar, comparisons, usage) is `explain`.
    """
    if _STO_EN.search(prompt):
        return "sto-en"
    if _EN_STO.search(prompt):
        return "en-sto"
    return "explain"


@dataclass(frozen=True)
class Rejected:
    """One record (or one dictionary sense) that did not become an item, and why."""

    line: int
    field: str | None
    reason: str
    record: str  # the line as it is in the file

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason, "record": self.record}

    def describe(self, path: Path | str) -> str:
        return f"{path}:{self.line}" + (f", field '{self.field}'" if self.field else "") + f": {self.reason}"


@dataclass
class ImportResult:
    path: Path
    fmt: str
    sha256: str
    records: int = 0
    items: list[Item] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    #: (kept id, merged id) for every duplicate (prompt, reference) pair merged into its first occurrence
    merged: list[tuple[str, str]] = field(default_factory=list)
    #: seed Q&A records whose `source_language` disagrees with the direction read from the question
    direction_hint_disagreements: int = 0

    def summary(self) -> str:
        parts = [f"{self.records} records of {self.path.name} → {len(self.items)} items"]
        parts.append(f"{len(self.rejected)} rejected")
        parts.append(f"{len(self.merged)} duplicate (prompt, reference) pairs merged")
        if self.fmt == "seed-qa":
            parts.append(
                f"direction read from the question; source_language disagreed on {self.direction_hint_disagreements}"
            )
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.path),
            "format": self.fmt,
            "sha256": self.sha256,
            "records": self.records,
            "items": len(self.items),
            "rejected": len(self.rejected),
            "merged_duplicates": len(self.merged),
            "direction_hint_disagreements": self.direction_hint_disagreements,
        }

    def write_rejects(self, path: str | Path) -> Path:
        """Every rejected record with its reason, one JSON object a line (written even when empty)."""
        write_jsonl(path, [r.to_json() for r in self.rejected])
        return Path(path)

    def raise_if_rejected(self) -> None:
        if self.rejected:
            raise ImportErrors(self.path, self.rejected)


class ImportErrors(InputError):
    """Every invalid record of a file, in one error (file, line and field of each)."""

    def __init__(self, path: Path | str, rejected: list[Rejected], *, shown: int = 50) -> None:
        self.rejected = list(rejected)
        first = rejected[0]
        lines = [r.describe(path) for r in rejected[:shown]]
        if len(rejected) > shown:
            lines.append(f"… and {len(rejected) - shown} more")
        super().__init__(
            f"{len(rejected)} invalid record(s):\n  " + "\n  ".join(lines),
            path=path,
            line=first.line,
            field=first.field,
            hint="fix them, or import the rest with --skip-invalid (each rejected record and its "
            "reason then goes to a rejects file)",
        )
        self.message = first.reason


# -- one record → items (raise InputError for a record that is invalid as a whole) ----------------------------
RecordParser = Callable[..., tuple[list[Item], list[InputError]]]


def _openai_chat_record(
    obj: dict[str, Any], *, path: Path, line: int, prefix: str, language: Language | None
) -> tuple[list[Item], list[InputError]]:
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("expected a non-empty list of messages", path=path, line=line, field="messages")
    system, user, assistant = None, None, None
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InputError("expected an object with role and content", path=path, line=line, field=where)
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            raise InputError(
                f"unknown role {role!r}",
                path=path,
                line=line,
                field=f"{where}.role",
                hint="allowed: system, user, assistant",
            )
        try:
            content = require_str(message, "content", path=path, line=line)
        except InputError as exc:
            raise InputError(exc.message, path=path, line=line, field=f"{where}.content") from None
        if role == "system":
            system = content
        elif role == "user":
            user = content
        else:
            assistant = content
    if user is None:
        raise InputError("no user message", path=path, line=line, field="messages")
    if assistant is None:
        raise InputError("no assistant message (the reference)", path=path, line=line, field="messages")
    return [
        Item(
            id=f"{prefix}-{line:05d}",
            prompt=user,
            reference=assistant,
            system=system,
            direction=guess_direction(user),
            tags=("source:openai_chat",),
            headwords=extract_headwords(user + "\n" + assistant, language),
        )
    ], []


def _seed_qa_record(
    obj: dict[str, Any], *, path: Path, line: int, prefix: str, language: Language | None
) -> tuple[list[Item], list[InputError]]:
    question = require_str(obj, "question", path=path, line=line)
    answer = require_str(obj, "answer", path=path, line=line)
    pair_id = obj.get("pair_id")
    if pair_id is None or isinstance(pair_id, bool) or not isinstance(pair_id, (str, int)):
        raise InputError("missing or not a string/integer", path=path, line=line, field="pair_id")
    source_language = obj.get("source_language", "")
    if not isinstance(source_language, str):
        raise InputError("expected a string", path=path, line=line, field="source_language")
    direction = guess_direction(question)
    hint = {"english": "en-sto", "stoney": "sto-en"}.get(source_language.strip().lower())
    tags = ["source:seed_qa"] + ([f"source_language:{source_language.strip().lower()}"] if source_language else [])
    if hint is not None and hint != direction:
        tags.append("direction:differs_from_source_language")
    return [
        Item(
            id=f"{prefix}-{pair_id}",
            prompt=question,
            reference=answer,
            direction=direction,
            tags=tuple(tags),
            headwords=extract_headwords(question + "\n" + answer, language),
        )
    ], []


def _dictionary_record(
    obj: dict[str, Any], *, path: Path, line: int, prefix: str, language: Language | None
) -> tuple[list[Item], list[InputError]]:
    if "english_word" in obj:
        return _from_english_entry(obj, path=path, line=line, language=language)
    if "stoney_word" in obj:
        return _from_stoney_entry(obj, path=path, line=line, language=language), []
    raise InputError(
        "neither 'english_word' nor 'stoney_word' present",
        path=path,
        line=line,
        field="english_word",
        hint="is this a seed dictionary file?",
    )


def _from_english_entry(
    obj: dict[str, Any], *, path: Path, line: int, language: Language | None
) -> tuple[list[Item], list[InputError]]:
    english = require_str(obj, "english_word", path=path, line=line)
    versions = obj.get("stoney_versions")
    if not isinstance(versions, list) or not versions:
        raise InputError("expected a non-empty list", path=path, line=line, field="stoney_versions")
    items: list[Item] = []
    problems: list[InputError] = []
    for index, version in enumerate(versions):
        where = f"stoney_versions[{index}]"
        try:
            if not isinstance(version, dict):
                raise InputError("expected an object", path=path, line=line, field=where)
            word = _nested_str(version, "word", where, path, line)
            grammar = version.get("grammatical_classification") or ""
            meaning = version.get("meaning") or english
            if not isinstance(grammar, str):
                raise InputError("expected a string", path=path, line=line, field=f"{where}.grammatical_classification")
            if not isinstance(meaning, str):
                raise InputError("expected a string", path=path, line=line, field=f"{where}.meaning")
        except InputError as exc:
            problems.append(exc)  # one bad sense; the entry's other senses are still imported
            continue
        items.extend(
            _pair(
                word=word,
                english=nfc(meaning),
                pos=nfc(grammar),
                base=f"dict-en-{line:05d}-{index}",
                tags=("source:dictionary_english",),
                language=language,
            )
        )
    return items, problems


def _from_stoney_entry(obj: dict[str, Any], *, path: Path, line: int, language: Language | None) -> list[Item]:
    word = require_str(obj, "stoney_word", path=path, line=line)
    definitions = obj.get("english_definitions")
    if isinstance(definitions, str):
        definitions = [definitions]
    if (
        not isinstance(definitions, list)
        or not definitions
        or not all(isinstance(d, str) and d.strip() for d in definitions)
    ):
        raise InputError(
            "expected a non-empty string or list of non-empty strings",
            path=path,
            line=line,
            field="english_definitions",
        )
    pos = obj.get("part_of_speech") or ""
    if not isinstance(pos, str):
        raise InputError("expected a string", path=path, line=line, field="part_of_speech")
    english = "; ".join(nfc(d).strip() for d in definitions)
    return _pair(
        word=word,
        english=english,
        pos=nfc(pos),
        base=f"dict-sto-{line:05d}",
        tags=("source:dictionary_stoney",),
        language=language,
    )


def _headword_key(word: str) -> str:
    return nfc(word).strip().lower().rstrip("-").strip()


def _nested_str(obj: dict[str, Any], key: str, where: str, path: Path, line: int) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError("missing or empty string", path=path, line=line, field=f"{where}.{key}")
    return nfc(value)


def _pair(
    *, word: str, english: str, pos: str, base: str, tags: tuple[str, ...], language: Language | None
) -> list[Item]:
    """The two directions of one dictionary sense, phrased as the seed's Q&A generator phrases them."""
    pos_tags = tags + ((f"pos:{pos}",) if pos else ())
    head = tuple(sorted({_headword_key(word)} | set(language.words(word) if language else ())))
    return [
        Item(
            id=f"{base}-sto-en",
            prompt=f"What is the English meaning of the Stoney Nakoda word `{word}`?",
            reference=english,
            direction="sto-en",
            tags=pos_tags,
            headwords=head,
        ),
        Item(
            id=f"{base}-en-sto",
            prompt=f"How do you say '{english}' in Stoney Nakoda?",
            reference=word,
            direction="en-sto",
            tags=pos_tags,
            headwords=head,
        ),
    ]


PARSERS: dict[str, tuple[RecordParser, str]] = {
    "openai-chat": (_openai_chat_record, ""),
    "seed-qa": (_seed_qa_record, "qa"),
    "dictionary": (_dictionary_record, ""),
}
FORMATS = tuple(PARSERS)


def detect_format(obj: dict[str, Any]) -> str | None:
    """Which supported format a record is in, from its keys (for training files of any format)."""
    if "messages" in obj:
        return "openai-chat"
    if "question" in obj and "answer" in obj:
        return "seed-qa"
    if "english_word" in obj or "stoney_word" in obj:
        return "dictionary"
    if "prompt" in obj:
        return "native"
    return None


def merge_duplicates(items: list[Item]) -> tuple[list[Item], list[tuple[str, str]]]:
    """Identical (prompt, reference) pairs become one item (the first; tags and headwords united)."""
    first: dict[tuple[str, str], int] = {}
    out: list[Item] = []
    merged: list[tuple[str, str]] = []
    for item in items:
        key = (item.prompt, item.reference)
        if key not in first:
            first[key] = len(out)
            out.append(item)
            continue
        kept = out[first[key]]
        out[first[key]] = replace(
            kept,
            tags=tuple(dict.fromkeys(kept.tags + item.tags)),
            headwords=tuple(sorted(set(kept.headwords) | set(item.headwords))),
        )
        merged.append((kept.id, item.id))
    return out, merged


def import_file(
    fmt: str, path: str | Path, *, language: Language | None = None, id_prefix: str | None = None, merge: bool = True
) -> ImportResult:
    """Read every record; collect items, every rejected record with its reason, and the merged duplicates."""
    if fmt not in PARSERS:
        raise InputError(f"unknown format '{fmt}'", field="format", hint=f"allowed: {', '.join(PARSERS)}")
    path = Path(path)
    parser, default_prefix = PARSERS[fmt]
    prefix = id_prefix or default_prefix or path.stem
    result = ImportResult(path=path, fmt=fmt, sha256=file_sha256(path))
    items: list[Item] = []
    seen: dict[str, int] = {}
    for record in scan_jsonl(path):
        result.records += 1
        if record.error is not None:
            result.rejected.append(Rejected(record.line, None, record.error, record.raw))
            continue
        assert record.obj is not None
        try:
            new, problems = parser(record.obj, path=path, line=record.line, prefix=prefix, language=language)
        except InputError as exc:
            result.rejected.append(Rejected(record.line, exc.field, exc.message, record.raw))
            continue
        result.rejected.extend(Rejected(record.line, p.field, p.message, record.raw) for p in problems)
        for item in new:
            if item.id in seen:  # e.g. a repeated seed pair_id: the later record is rejected, never dropped
                result.rejected.append(
                    Rejected(
                        record.line,
                        "pair_id" if fmt == "seed-qa" else "id",
                        f"duplicate id '{item.id}' (first on line {seen[item.id]})",
                        record.raw,
                    )
                )
                continue
            seen[item.id] = record.line
            items.append(item)
    if result.records == 0:
        raise InputError("file is empty (no JSON lines)", path=path, hint="an empty suite cannot be evaluated")
    if fmt == "seed-qa":
        result.direction_hint_disagreements = sum("direction:differs_from_source_language" in i.tags for i in items)
    result.items, result.merged = merge_duplicates(items) if merge else (items, [])
    return result


def file_sha256(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the path")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _strict(
    fmt: str, path: str | Path, *, id_prefix: str | None = None, language: Language | None = None
) -> list[Item]:
    result = import_file(fmt, path, language=language, id_prefix=id_prefix, merge=False)
    result.raise_if_rejected()
    return result.items


def import_openai_chat(
    path: str | Path, *, id_prefix: str | None = None, language: Language | None = None
) -> list[Item]:
    """`{"messages": [system?, user, assistant]}` — one item per line; the last assistant turn is the reference."""
    return _strict("openai-chat", path, id_prefix=id_prefix, language=language)


def import_seed_qa(path: str | Path, *, language: Language | None = None) -> list[Item]:
    """`{"question", "answer", "source_language", "generated_at", "pair_id"}` from the seed's Q&A generator."""
    return _strict("seed-qa", path, language=language)


def import_dictionary(path: str | Path, *, language: Language | None = None) -> list[Item]:
    """Either seed dictionary shape → dictionary Q&A items in both directions (one pair per sense).

    English-indexed: `{"english_word", "stoney_versions": [{"word", "grammatical_classification", "meaning"}]}`.
    Stoney-indexed: `{"stoney_word", "part_of_speech", "english_definitions"}`.
    """
    return _strict("dictionary", path, language=language)


IMPORTERS: dict[str, Callable[..., list[Item]]] = {
    "openai-chat": import_openai_chat,
    "seed-qa": import_seed_qa,
    "dictionary": import_dictionary,
}
