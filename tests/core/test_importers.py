"""Importers read the seed's published formats exactly as published; no record is dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalharness.errors import InputError
from evalharness.importers import import_dictionary, import_openai_chat, import_seed_qa

from tests.conftest import SHARED_DATA


@pytest.mark.skipif(not SHARED_DATA.is_file(), reason=f"approved seed file not present at {SHARED_DATA}")
def test_published_stoney_valid_imports_as_is() -> None:
    raw = SHARED_DATA.read_bytes()
    assert b"\r\n" in raw  # published with CRLF line endings
    items = import_openai_chat(SHARED_DATA)
    assert len(items) == 2000
    assert len({i.id for i in items}) == 2000
    assert all(i.prompt and i.reference and i.system for i in items)
    assert {i.direction for i in items} <= {"en-sto", "sto-en", "explain"}
    keya = [i for i in items if "`keya`" in i.prompt]
    assert keya and "keya" in keya[0].headwords


def _write(path: Path, rows: list, bom: bool = False) -> Path:
    text = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_openai_chat_errors_name_the_message(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.jsonl", [
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "tool", "content": "a"}]},
    ], bom=True)
    with pytest.raises(InputError) as info:
        import_openai_chat(path)
    assert (info.value.line, info.value.field) == (2, "messages[1].role")


def test_seed_qa_format(tmp_path: Path) -> None:
    path = _write(tmp_path / "qa.jsonl", [
        {"question": "What does 'hayis' mean?", "answer": "almost", "source_language": "stoney",
         "generated_at": "2025-01-01T00:00:00", "pair_id": 7},
        {"question": "How do you say 'turtle'?", "answer": "keya", "source_language": "english",
         "generated_at": "2025-01-01T00:00:00", "pair_id": "8"},
    ])
    items = import_seed_qa(path)
    assert [(i.id, i.direction) for i in items] == [("qa-7", "sto-en"), ("qa-8", "en-sto")]
    bad = _write(tmp_path / "bad.jsonl", [{"question": "q", "pair_id": 1}])
    with pytest.raises(InputError) as info:
        import_seed_qa(bad)
    assert info.value.field == "answer"


def test_both_dictionary_shapes_give_both_directions(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", [
        {"english_word": "turtle", "stoney_versions": [
            {"word": "keya", "grammatical_classification": "alienable noun", "meaning": "turtle"}]},
        {"stoney_word": "hayis", "part_of_speech": "adverb", "english_definitions": ["almost", "nearly"]},
    ])
    items = import_dictionary(path)
    assert len(items) == 4
    by_dir = {(i.headwords[0], i.direction): i for i in items}
    assert by_dir[("keya", "en-sto")].reference == "keya"
    assert by_dir[("keya", "sto-en")].reference == "turtle"
    assert by_dir[("hayis", "sto-en")].reference == "almost; nearly"
    bad = _write(tmp_path / "bad.jsonl", [{"english_word": "x", "stoney_versions": [{"meaning": "y"}]}])
    with pytest.raises(InputError) as info:
        import_dictionary(bad)
    assert info.value.field == "stoney_versions[0].word"
