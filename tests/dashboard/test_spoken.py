"""Spoken corrections: stored with who, when, item and content hash; written down by an admin; exported beside
the JSONL only where the source suite allows training; never sent anywhere."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import struct
import wave
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.community import audio, exports, reviews
from evalharness.community.accounts import add_reviewer
from evalharness.community.publish import publish_corrections
from evalharness.errors import GovernanceError, InputError
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.store import audio as audio_store
from evalharness.suites import load_suite, meta_to_toml

from . import demo_db

ADMIN, PASSWORD = "Elder Admin", "hûji-ethen-2026-long"


def tone(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """A short WAV, as Streamlit's audio_input sends it (16 kHz mono)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 330 * i / rate)))
                               for i in range(int(seconds * rate))))
    return buffer.getvalue()


def _set_uses(folder: Path, uses: list[str]) -> None:
    suite = load_suite(folder)
    meta = suite.meta.model_copy(update={"governance": suite.meta.governance.model_copy(
        update={"allowed_uses": uses})})
    (folder / "suite.toml").write_text(meta_to_toml(meta), encoding="utf-8")


@pytest.fixture
def world(tmp_path: Path) -> dict:
    """A narrative suite with a replay run, an admin, and a spoken correction (no words) of nc-02."""
    root = tmp_path / "world"
    store = Store(root / "store.duckdb")
    _, narrative = demo_db.suites(root)
    run = Runner(demo_db.config(), store).run(demo_db.checkpoint(root, "stoney-base", [narrative]), narrative)
    add_reviewer(store, ADMIN, "admin", PASSWORD)
    recording = audio.clip(tone(1.5), "audio/wav")
    target = reviews.target(store, run.run_id, "nc-02")
    saved = reviews.save_review(store, ADMIN, target, audio=recording)
    return {"root": root, "store": store, "source": root / "suites" / narrative.name, "run": run,
            "suites_dir": root / "suites", "recording": recording, "correction_id": saved.correction_id}


def test_a_recording_is_stored_with_its_correction(world) -> None:
    store, recording = world["store"], world["recording"]
    found = audio_store.data(store, world["correction_id"])
    assert found is not None
    info, data = found
    assert data == recording.data and info.audio_sha256 == hashlib.sha256(data).hexdigest()
    assert (info.recorded_by, info.item_id, info.mime) == (ADMIN, "nc-02", "audio/wav")
    assert info.seconds == pytest.approx(1.5) and info.created_at is not None
    [correction] = reviews.list_corrections(store)
    assert correction.narrative == "" and correction.status == "pending"


def test_bad_recordings_are_refused_before_anything_is_written(world) -> None:
    with pytest.raises(InputError, match="empty"):
        audio.clip(b"", "audio/wav")
    with pytest.raises(InputError, match="not a readable WAV"):
        audio.clip(b"RIFF-not-really", "audio/wav")
    with pytest.raises(InputError, match="too long"):
        audio.clip(tone(2.0), "audio/wav", max_bytes=10_000)


def test_a_spoken_correction_is_accepted_once_written_down(world) -> None:
    store, cid = world["store"], world["correction_id"]
    with pytest.raises(InputError, match="once its words are written down"):
        reviews.review_correction(store, ADMIN, cid, "accepted")
    reviews.transcribe(store, ADMIN, cid, "The word is i\u0302jadat\u0331h\u0331e; it names the broom.")
    reviews.review_correction(store, ADMIN, cid, "accepted")
    [accepted] = reviews.list_corrections(store, "accepted")
    assert accepted.narrative == "The word is îjadaṯẖe; it names the broom."  # stored NFC
    written, by, when = audio_store.transcripts(store, [cid])[cid]
    assert (written, by) == ("", ADMIN) and when is not None


def _accepted_with_words(world, words: str = "The word is îjadaṯẖe.") -> None:
    reviews.transcribe(world["store"], ADMIN, world["correction_id"], words)
    reviews.review_correction(world["store"], ADMIN, world["correction_id"], "accepted")


def test_export_puts_the_recording_beside_the_jsonl(world, tmp_path: Path) -> None:
    store, recording = world["store"], world["recording"]
    _set_uses(world["source"], ["evaluation", "training"])
    _accepted_with_words(world)
    out = tmp_path / "export" / "triplets.jsonl"
    done = exports.export_to(store, "triplets", out, search_dirs=[world["suites_dir"]])
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert f"audio:{recording.sha256[:32]}" in line["tags"] and line["narrative"] == "The word is îjadaṯẖe."
    wav = tmp_path / "export" / "audio" / f"{recording.sha256}.wav"
    assert wav.read_bytes() == recording.data
    [index] = [json.loads(x) for x in (tmp_path / "export" / "triplets.audio.jsonl").read_text().splitlines()]
    assert index["line"] == 1 and index["id"] == world["correction_id"] and index["file"] == f"audio/{wav.name}"
    assert index["sha256"] == recording.sha256 and index["recorded_by"] == ADMIN and len(done.recordings) == 1
    # The triplets file is still a narrative-correction suite (the tag keeps the line a valid item).
    meta = load_suite(world["source"]).meta.model_copy(update={"name": "again"})
    assert len(exports.triplets_to_suite(out, meta).items) == 1
    pref = json.loads(exports.export(store, "preference", search_dirs=[world["suites_dir"]]).jsonl())
    assert pref["audio"] == f"audio/{recording.sha256}.wav"
    archive = zipfile.ZipFile(io.BytesIO(exports.export_zip(store, "openai-chat", search_dirs=[world["suites_dir"]])))
    assert set(archive.namelist()) == {"corrections-openai-chat.jsonl", "corrections-openai-chat.audio.jsonl",
                                       f"audio/{recording.sha256}.wav"}
    assert archive.read(f"audio/{recording.sha256}.wav") == recording.data
    # The command line says where the recordings went.
    cli = CliRunner().invoke(app, ["corrections", "export", "-o", str(tmp_path / "cli" / "t.jsonl"), "--db",
                                   str(store.path), "--config", str(_config(tmp_path, world))])
    assert cli.exit_code == 0, cli.output
    assert "with 1 recording(s)" in cli.output and (tmp_path / "cli" / "audio" / wav.name).is_file()


def _config(tmp_path: Path, world) -> Path:
    path = tmp_path / "evalharness.toml"
    path.write_text(f'[run]\nsuites_dir = "{world["suites_dir"]}"\n', encoding="utf-8")
    return path


def test_a_suite_without_external_uses_never_sends_audio_anywhere(world, tmp_path: Path) -> None:
    """Every way data leaves the machine, tried with a spoken correction of an evaluation-only suite: the
    exports refuse before writing, the published suite carries words only, and the reviewer chat (the one part
    that reads the store and talks to an outside service) sends nothing of the recording."""
    from evalharness.config import Config, ReviewerConfig, StoreConfig
    from evalharness.reviewer import open_session
    from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer

    store, recording = world["store"], world["recording"]
    _set_uses(world["source"], ["evaluation"])
    _accepted_with_words(world)
    markers = [recording.data[44:108], base64.b64encode(recording.data[44:4000]).decode()[:64], recording.sha256]
    # 1. exports (files and downloads): refused before a byte is written
    for fmt in exports.FORMATS:
        with pytest.raises(GovernanceError, match="training"):
            exports.export_to(store, fmt, tmp_path / "out" / f"{fmt}.jsonl", search_dirs=[world["suites_dir"]])
        with pytest.raises(GovernanceError):
            exports.export_zip(store, fmt, search_dirs=[world["suites_dir"]])
    assert not (tmp_path / "out").exists()
    # 2. publishing: the new suite holds the words, never the recording
    published = tmp_path / "published"
    publish_corrections(store, published, name="corrections", published_by=ADMIN, search_dirs=[world["suites_dir"]])
    written = b"".join(p.read_bytes() for p in published.rglob("*") if p.is_file())
    assert b"RIFF" not in written and not any(m.encode() in written if isinstance(m, str) else m in written
                                               for m in markers)
    # 3. the reviewer chat against a loopback Gemini: nothing of the recording in any request
    docs = tmp_path / "project"
    (docs / "docs").mkdir(parents=True)
    (docs / "README.md").write_text("# Project\n\nReviewers correct answers, also by speaking them.\n")
    (docs / "docs" / "dashboard.md").write_text("# Dashboard\n\n## Spoken corrections\n\nRecord a correction.\n")
    with FakeProviderServer(FakeBehaviour()) as fake:
        config = Config(store=StoreConfig(path=str(store.path)),
                        reviewer=ReviewerConfig(root=str(docs), retries=0, timeout_s=10.0, embedding_cache="",
                                                base_url=fake.url))
        session = open_session(config, api_key="AIza-test-key-000", sleep=lambda s: None)
        session.assess().result()
        session.ask("What did the reviewers say about the broom? Play me the recording.").result()
        sent = [json.dumps(r.body, ensure_ascii=False) for r in fake.recorded]
    assert sent, "the chat made no request: the test would prove nothing"
    for body in sent:
        assert "RIFF" not in body and recording.sha256 not in body and markers[1] not in body
        assert "inlineData" not in body and "audio/wav" not in body
