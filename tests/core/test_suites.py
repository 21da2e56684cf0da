"""Suite loading: every line validated, nothing dropped, errors name file, line and field."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from evalharness.errors import InputError
from evalharness.suites import load_suite

from .conftest import TINY_ROWS, write_suite


def test_loads_items_in_order_with_content_hash(tiny_suite: Path) -> None:
    suite = load_suite(tiny_suite)
    assert [i.id for i in suite.items] == ["a1", "a2", "a3", "a4"]
    assert len(suite.content_hash) == 64
    assert suite.meta.governance.allowed_uses == ["evaluation"]


def test_content_hash_changes_with_items_not_with_governance(tmp_path: Path) -> None:
    a = load_suite(write_suite(tmp_path / "a", TINY_ROWS))
    b = load_suite(write_suite(tmp_path / "b", TINY_ROWS, uses=("evaluation", "external_judging")))
    c = load_suite(write_suite(tmp_path / "c", TINY_ROWS[:3]))
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash


def test_crlf_bom_and_nfd_are_normalised(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", [])
    nfd = unicodedata.normalize("NFD", "îsta")
    lines = [json.dumps({"id": "x", "prompt": f"What is {nfd}?", "reference": nfd}, ensure_ascii=False)]
    (folder / "items.jsonl").write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    item = load_suite(folder).items[0]
    assert item.reference == "îsta" and unicodedata.is_normalized("NFC", item.prompt)


@pytest.mark.parametrize(
    ("content", "line", "field", "needle"),
    [
        ('{"id": "a", "prompt": "p", "reference": "r"}\n{"id": "b", "prompt": "p"\n', 2, None, "malformed JSON"),
        ('{"id": "a", "prompt": "p"}\n', 1, "reference", "missing required field"),
        ('{"id": "a", "prompt": 5, "reference": "r"}\n', 1, "prompt", "expected a string"),
        ('{"id": "a", "prompt": "p", "reference": "r"}\n{"id": "a", "prompt": "q", "reference": "s"}\n', 2, "id",
         "duplicate id"),
        ('{"id": "a", "prompt": "p", "reference": "r", "refrence": "typo"}\n', 1, "refrence", "unknown field"),
        ('{"id": "a", "prompt": "p", "reference": "r", "tags": "x"}\n', 1, "tags", "list of strings"),
        ('[1, 2]\n', 1, None, "expected a JSON object"),
    ],
)
def test_bad_lines_name_file_line_and_field(tmp_path: Path, content: str, line: int, field: str | None,
                                            needle: str) -> None:
    folder = write_suite(tmp_path / "s", [])
    (folder / "items.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_suite(folder)
    err = info.value
    assert err.line == line and err.field == field and needle in str(err)
    assert err.path and err.path.endswith("items.jsonl")


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", [])
    with pytest.raises(InputError, match="empty"):
        load_suite(folder)


def test_suite_toml_unknown_key_and_bad_kind(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", TINY_ROWS)
    toml = (folder / "suite.toml").read_text()
    (folder / "suite.toml").write_text(toml.replace('kind = "dictionary_qa"', 'kind = "quiz"'))
    with pytest.raises(InputError) as info:
        load_suite(folder)
    assert info.value.field == "kind"
    (folder / "suite.toml").write_text(toml.replace("[governance]", "[governance]\nallowed = []"))
    with pytest.raises(InputError) as info:
        load_suite(folder)
    assert info.value.field == "governance.allowed"


def test_governance_defaults_to_deny(tmp_path: Path) -> None:
    folder = write_suite(tmp_path / "s", TINY_ROWS)
    toml = (folder / "suite.toml").read_text().split("[governance]")[0]
    (folder / "suite.toml").write_text(toml)
    suite = load_suite(folder)
    assert suite.meta.governance.allowed_uses == []
    assert not suite.meta.governance.allows("evaluation")


def test_narrative_items_need_disallowed_and_narrative(tmp_path: Path) -> None:
    rows = [{"id": "n1", "prompt": "p", "disallowed": "wrong", "narrative": "right, with its story"}]
    suite = load_suite(write_suite(tmp_path / "ok", rows, kind="narrative_correction"))
    assert suite.items[0].reference == "right, with its story"
    bad = write_suite(tmp_path / "bad", [{"id": "n1", "prompt": "p", "narrative": "x"}], kind="narrative_correction")
    with pytest.raises(InputError) as info:
        load_suite(bad)
    assert info.value.field == "disallowed"


def test_bundled_suites_validate(repo_root: Path) -> None:
    # By name, from the embedded default: a user's own suite in suites/ is not the bundled data's business.
    from evalharness.config import load_config

    names = load_config(repo_root / "evalharness.toml").run.suites
    assert names
    for name in names:
        suite = load_suite(repo_root / "suites" / name)
        assert suite.items and suite.meta.provenance.source
        assert "HarleyCoops/StoneyNakoda" in suite.meta.provenance.source


@pytest.mark.parametrize("field, value", [("direction", "en-sto) ![x](https://evil.example/?d=1"),
                                          ("tags", ["noun", "[click](https://evil.example)"])])
def test_direction_and_tags_must_be_plain_labels(tmp_path, field, value) -> None:
    """Pages show and filter by these; a label carrying Markdown is refused at the file, line and field."""
    from evalharness.suites import parse_item

    row = {"id": "a", "prompt": "p", "reference": "r", "direction": "en-sto", "tags": ["noun"], field: value}
    with pytest.raises(InputError, match=field) as err:
        parse_item(row, path=tmp_path / "items.jsonl", line=7, kind="dictionary_qa")
    assert "items.jsonl:7" in str(err.value)
