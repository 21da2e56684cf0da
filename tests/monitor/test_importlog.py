"""Conversation logs → live answers: every record accounted for; consent, duplicates, per-day sample, cap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalharness.errors import InputError
from evalharness.monitor.importlog import plan_import, read_log


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_chat_and_simple_records_are_read(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "log.jsonl", [
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "What is 'mîni'?"},
                      {"role": "assistant", "content": "Water."}, {"role": "user", "content": "And 'pta'?"},
                      {"role": "assistant", "content": "Cold."}],
         "metadata": {"time": "2026-11-30T10:00:00Z", "consent": True}},
        {"time": 1764496800, "question": "Q3", "answer": "A3", "consent": "no"},
    ])
    records = read_log(path)
    assert [(r.line, r.question, r.answer, r.consent) for r in records] == [
        (1, "What is 'mîni'?", "Water.", True), (1, "And 'pta'?", "Cold.", True), (2, "Q3", "A3", False)]
    assert str(records[0].day) == "2026-11-30"


def test_csv_needs_its_header(tmp_path: Path) -> None:
    good = tmp_path / "log.csv"
    good.write_text("time,question,answer,consent\n2026-11-30,hi,hello,yes\n", encoding="utf-8")
    assert read_log(good)[0].consent is True
    bad = tmp_path / "bad.csv"
    bad.write_text("when,question,answer,consent\n2026-11-30,hi,hello,yes\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.csv:1, field 'time'"):
        read_log(bad)


@pytest.mark.parametrize("row, field", [
    ({"time": "x", "question": "q", "answer": "a", "consent": True}, "time"),
    ({"time": "2026-11-30", "question": "", "answer": "a", "consent": True}, "question"),
    ({"time": "2026-11-30", "question": "q", "answer": "a", "consent": "maybe"}, "consent"),
    ({"time": "2026-11-30", "question": "q", "answer": "a", "consent": True, "extra": 1}, "extra"),
    ({"messages": [{"role": "assistant", "content": "a"}]}, "messages[0]"),
])
def test_bad_records_name_file_line_and_field(tmp_path: Path, row: dict, field: str) -> None:
    path = _jsonl(tmp_path / "log.jsonl", [{"time": "2026-11-30", "question": "ok", "answer": "ok", "consent": True},
                                          row])
    with pytest.raises(InputError) as err:
        read_log(path)
    assert f"log.jsonl:2, field '{field}'" in str(err.value)


def test_consent_duplicates_day_sample_and_cap_account_for_every_record(tmp_path: Path) -> None:
    rows = []
    for day in (1, 2):
        for k in range(30):
            rows.append({"time": f"2026-11-0{day}T12:00:00", "question": f"q{day}-{k}", "answer": "a",
                         "consent": k % 10 != 0})
    rows.append({"time": "2026-11-01T13:00:00", "question": "Q1-1 ", "answer": "A", "consent": True})  # q1-1 folded
    records = read_log(_jsonl(tmp_path / "log.jsonl", rows))
    already = {records[2].content_hash}
    plan = plan_import(records, already=already, review_without_consent=False, per_day=20, max_items=35, seed=7)
    assert len(plan.selected) == 35
    assert plan.read == 61 == len(plan.selected) + sum(plan.left_out.values())
    assert plan.left_out["without consent"] == 6
    assert plan.left_out["already imported"] == 1
    assert plan.left_out["duplicates"] == 1       # "Q1-1 " / "A" is "q1-1" / "a" once case and spacing are folded
    assert plan.left_out["over the day's sample"] == (26 - 20) + (27 - 20)
    assert plan.left_out["over the import's cap"] == 5
    again = plan_import(records, already=already, review_without_consent=False, per_day=20, max_items=35, seed=7)
    assert again.selected == plan.selected        # seeded: the same sample every time
