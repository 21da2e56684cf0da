"""Importers that tell everything, on synthetic files in the seed's exact shapes (CRLF, empty words,
duplicates, source_language labels, spelling variants, unquoted words)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.contamination import check, load_training_items
from evalharness.importers import ImportErrors, import_dictionary, import_file, import_seed_qa
from evalharness.suites import load_suite

from tests.helpers import write_suite
from tests.seedshapes import english_dictionary_rows, made_up_words, write_crlf

runner = CliRunner()


def _dictionary_with_problems(tmp_path: Path) -> Path:
    rows: list[dict | str] = english_dictionary_rows(made_up_words(8))          # lines 1-4: 8 good senses
    rows.append({"english_word": "gap", "stoney_versions": [                  # line 5: one empty word of two
        {"word": "tâgach", "grammatical_classification": "verb", "meaning": "to be big"},
        {"word": "", "grammatical_classification": "verb", "meaning": "to be empty"}]})
    rows.append('{"english_word": "broken", "stoney_versions": [')            # line 6: malformed JSON
    rows.append({"english_word": "blank", "stoney_versions": [                # line 7: an empty word again
        {"word": "  ", "grammatical_classification": "", "meaning": "blank"}]})
    rows.append({"english_word": "nothing"})                                  # line 8: no senses at all
    return write_crlf(tmp_path / "english_dictionary.jsonl", rows)


def test_every_invalid_record_is_reported_at_once(tmp_path: Path) -> None:
    path = _dictionary_with_problems(tmp_path)
    with pytest.raises(ImportErrors) as info:
        import_dictionary(path)
    got = [(r.line, r.field) for r in info.value.rejected]
    assert got == [(5, "stoney_versions[1].word"), (6, None), (7, "stoney_versions[0].word"), (8, "stoney_versions")]
    text = str(info.value)
    assert "4 invalid record(s)" in text and ":6: malformed JSON" in text and ":8, field 'stoney_versions'" in text


def test_skip_invalid_imports_the_rest_and_writes_every_rejected_record(tmp_path: Path) -> None:
    path = _dictionary_with_problems(tmp_path)
    out = tmp_path / "suites" / "dict"
    strict = runner.invoke(app, ["suites", "import", "dictionary", str(path), "--out", str(out)])
    assert strict.exit_code == 2 and not out.exists()          # nothing half-written
    assert "4 invalid record(s)" in strict.output
    ok = runner.invoke(app, ["suites", "import", "dictionary", str(path), "--out", str(out), "--skip-invalid",
                             "--allow", "evaluation", "--json"])
    assert ok.exit_code == 0, ok.output
    summary = json.loads(ok.output)
    rejects = [json.loads(line) for line in Path(summary["rejects_file"]).read_text(encoding="utf-8").splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [
        (5, "stoney_versions[1].word"), (6, None), (7, "stoney_versions[0].word"), (8, "stoney_versions")]
    assert all(r["reason"] and r["record"] for r in rejects)
    assert rejects[1]["record"] == '{"english_word": "broken", "stoney_versions": ['   # the line as published
    suite = load_suite(out)
    assert len(suite.items) == 2 * 9                            # 8 good senses + the good half of line 5
    assert suite.meta.language == "sto"
    prov = suite.meta.provenance
    assert prov.source_path == str(path)
    assert prov.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "4 rejected" in prov.notes


def test_duplicate_pairs_are_merged_and_counted(tmp_path: Path) -> None:
    words = made_up_words(4)
    rows = english_dictionary_rows(words)
    rows.append(rows[0])                                        # the same entry published twice
    rows.append({"english_word": "other", "stoney_versions": [  # the same sense under another headword
        {"word": words[1], "grammatical_classification": "", "meaning": "to gloss000 something"}]})
    path = write_crlf(tmp_path / "d.jsonl", rows)
    result = import_file("dictionary", path)
    assert len(result.merged) == 2 * 2 + 2 and len(result.items) == 2 * 4
    assert "6 duplicate (prompt, reference) pairs merged" in result.summary()
    kept = {i.id for i in result.items}
    assert all(a in kept and b not in kept for a, b in result.merged)


def test_seed_qa_direction_comes_from_the_question(tmp_path: Path) -> None:
    base = {"source_language": "english", "generated_at": "2025-01-01T09:50:01.858082"}
    path = write_crlf(tmp_path / "bilingual_training_set.jsonl", [
        {**base, "question": "How would you say 'he abandoned me suddenly' in Stoney?",
         "answer": "You would say 'aktesî yeyach'.", "pair_id": 1},
        {**base, "question": "What does 'nen ûsîch' mean in English?", "answer": "Someone is absent.", "pair_id": 2},
        {**base, "question": "What's the difference between 'thudanâ opegiyach' and 'wâmnâyabi'?",
         "answer": "One is to accumulate money, the other accumulated savings.", "pair_id": 3},
    ])
    result = import_file("seed-qa", path)
    assert [i.direction for i in result.items] == ["en-sto", "sto-en", "explain"]
    assert result.direction_hint_disagreements == 2
    assert all("source_language:english" in i.tags for i in result.items)
    assert [i.direction for i in import_seed_qa(path)] == ["en-sto", "sto-en", "explain"]


def test_any_supported_format_is_a_training_file(tmp_path: Path) -> None:
    qa = write_crlf(tmp_path / "qa.jsonl", [
        {"question": "When would you use wahnuzâgach?", "answer": "For someone physically abusive.",
         "source_language": "english", "generated_at": "2025-01-01T00:00:00", "pair_id": 7}])
    assert [i.prompt for i in load_training_items(qa)] == ["When would you use wahnuzâgach?"]
    dictionary = write_crlf(tmp_path / "stoney_dictionary.jsonl", [
        {"stoney_word": "wahnuzâgach", "part_of_speech": "active intransitive verb",
         "english_definitions": "to be physically abusive"}])
    assert len(load_training_items(dictionary)) == 2
    suite = load_suite(write_suite(tmp_path / "s", [
        {"id": "1", "prompt": "What does wahnuzâgach mean?", "reference": "to be abusive"}], language="sto"))
    report = check(suite, qa)
    assert [h.kind for h in report.hits] == ["word"]


def test_headwords_include_unquoted_words_of_the_language(tmp_path: Path) -> None:
    path = write_crlf(tmp_path / "chat.jsonl", [{"messages": [
        {"role": "user", "content": "Given that hayis means almost, how would a speaker use it with tâga?"},
        {"role": "assistant", "content": "A speaker says hayis before the verb."}]}])
    from evalharness.importers import import_openai_chat
    from evalharness.language import load_language

    [item] = import_openai_chat(path, language=load_language("sto"))
    assert {"hayis", "tâga"} <= set(item.headwords)
    assert "almost" not in item.headwords and "speaker" not in item.headwords
