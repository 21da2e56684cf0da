"""Importers for the seed project's published formats → native suite items.

Each importer reads its file exactly as published (CRLF, optional BOM, NFC on load), validates every
line, and either returns one item per input record or raises naming the file, line and field — no
record is ever silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import InputError
from .headwords import extract_headwords
from .jsonl import nfc, read_jsonl, require_str
from .suites import Item

_EN_STO = re.compile(
    r"\b(in|into) stoney\b|\bstoney (nakoda )?(term|word|phrase|expression|equivalent|translation) (for|of|to)\b"
    r"|\bwhich stoney\b|\bhow (would|do|might) (you|one|a speaker|i) (say|translate|express|refer)",
    re.IGNORECASE,
)
_STO_EN = re.compile(
    r"\b(english )?meaning of\b|\bwhat does .{1,80} mean\b|\binto english\b|\bin english\b", re.IGNORECASE
)


def guess_direction(prompt: str) -> str:
    """A transparent, documented heuristic: the chat format carries no direction field.

    `sto-en` asks what a Stoney word means, `en-sto` asks for the Stoney form of an English idea, and
    everything else (grammar, comparisons, usage) is `explain`.
    """
    if _STO_EN.search(prompt):
        return "sto-en"
    if _EN_STO.search(prompt):
        return "en-sto"
    return "explain"


def import_openai_chat(path: str | Path, *, id_prefix: str | None = None) -> list[Item]:
    """`{"messages": [system?, user, assistant]}` — one item per line; the last assistant turn is the reference."""
    path = Path(path)
    prefix = id_prefix or path.stem
    items = []
    for line, obj in read_jsonl(path):
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
            content = require_str(message, "content", path=path, line=line)
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
        items.append(
            Item(
                id=f"{prefix}-{line:05d}",
                prompt=user,
                reference=assistant,
                system=system,
                direction=guess_direction(user),
                tags=("source:openai_chat",),
                headwords=extract_headwords(user + "\n" + assistant),
            )
        )
    return items


def import_seed_qa(path: str | Path) -> list[Item]:
    """`{"question", "answer", "source_language", "generated_at", "pair_id"}` from the seed's Q&A generator."""
    path = Path(path)
    items = []
    for line, obj in read_jsonl(path):
        question = require_str(obj, "question", path=path, line=line)
        answer = require_str(obj, "answer", path=path, line=line)
        pair_id = obj.get("pair_id")
        if pair_id is None or isinstance(pair_id, bool) or not isinstance(pair_id, (str, int)):
            raise InputError("missing or not a string/integer", path=path, line=line, field="pair_id")
        source_language = obj.get("source_language", "")
        if not isinstance(source_language, str):
            raise InputError("expected a string", path=path, line=line, field="source_language")
        direction = {"english": "en-sto", "stoney": "sto-en"}.get(source_language.lower(), guess_direction(question))
        tags = ["source:seed_qa"] + ([f"source_language:{source_language.lower()}"] if source_language else [])
        items.append(
            Item(
                id=f"qa-{pair_id}",
                prompt=question,
                reference=answer,
                direction=direction,
                tags=tuple(tags),
                headwords=extract_headwords(question + "\n" + answer),
            )
        )
    return items


def import_dictionary(path: str | Path) -> list[Item]:
    """Either seed dictionary shape → dictionary Q&A items in both directions.

    English-indexed: `{"english_word", "stoney_versions": [{"word", "grammatical_classification", "meaning"}]}`.
    Stoney-indexed: `{"stoney_word", "part_of_speech", "english_definitions"}`.
    The headword of each item is the Stoney word, so a split by headword keeps a word on one side.
    """
    path = Path(path)
    items: list[Item] = []
    for line, obj in read_jsonl(path):
        if "english_word" in obj:
            items.extend(_from_english_entry(obj, path=path, line=line))
        elif "stoney_word" in obj:
            items.extend(_from_stoney_entry(obj, path=path, line=line))
        else:
            raise InputError(
                "neither 'english_word' nor 'stoney_word' present",
                path=path,
                line=line,
                field="english_word",
                hint="is this a seed dictionary file?",
            )
    return items


def _headword_key(word: str) -> str:
    return nfc(word).strip().lower().rstrip("-").strip()


def _from_english_entry(obj: dict[str, Any], *, path: Path, line: int) -> list[Item]:
    english = require_str(obj, "english_word", path=path, line=line)
    versions = obj.get("stoney_versions")
    if not isinstance(versions, list) or not versions:
        raise InputError("expected a non-empty list", path=path, line=line, field="stoney_versions")
    items = []
    for index, version in enumerate(versions):
        where = f"stoney_versions[{index}]"
        if not isinstance(version, dict):
            raise InputError("expected an object", path=path, line=line, field=where)
        word = _nested_str(version, "word", where, path, line)
        grammar = version.get("grammatical_classification") or ""
        meaning = version.get("meaning") or english
        if not isinstance(grammar, str) or not isinstance(meaning, str):
            raise InputError("expected a string", path=path, line=line, field=f"{where}.meaning")
        items.extend(
            _pair(
                word=word,
                english=nfc(meaning),
                pos=nfc(grammar),
                base=f"dict-en-{line:05d}-{index}",
                tags=("source:dictionary_english",),
            )
        )
    return items


def _from_stoney_entry(obj: dict[str, Any], *, path: Path, line: int) -> list[Item]:
    word = require_str(obj, "stoney_word", path=path, line=line)
    definitions = obj.get("english_definitions")
    if isinstance(definitions, str):
        definitions = [definitions]
    if not isinstance(definitions, list) or not definitions or not all(isinstance(d, str) for d in definitions):
        raise InputError(
            "expected a non-empty string or list of strings", path=path, line=line, field="english_definitions"
        )
    pos = obj.get("part_of_speech") or ""
    if not isinstance(pos, str):
        raise InputError("expected a string", path=path, line=line, field="part_of_speech")
    english = "; ".join(nfc(d).strip() for d in definitions)
    return _pair(
        word=word, english=english, pos=nfc(pos), base=f"dict-sto-{line:05d}", tags=("source:dictionary_stoney",)
    )


def _nested_str(obj: dict[str, Any], key: str, where: str, path: Path, line: int) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError("missing or empty string", path=path, line=line, field=f"{where}.{key}")
    return nfc(value)


def _pair(*, word: str, english: str, pos: str, base: str, tags: tuple[str, ...]) -> list[Item]:
    """The two directions of one dictionary sense, phrased as the seed's Q&A generator phrases them."""
    pos_tags = tags + ((f"pos:{pos}",) if pos else ())
    head = (_headword_key(word),)
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


IMPORTERS: dict[str, Callable[[str | Path], list[Item]]] = {
    "openai-chat": import_openai_chat,
    "seed-qa": import_seed_qa,
    "dictionary": import_dictionary,
}
