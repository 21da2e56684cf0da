"""Spoken corrections: a recording made in the browser, kept with its correction, exported beside it.

Stoney is spoken first; a reviewer may say the right answer instead of (or as well as) typing it. The
recording is community data under the governance of the suite the corrected item comes from: it stays in
the store, is never sent to any service, and leaves the machine only inside an export of corrections,
which needs `training` (as every export does). Exported recordings are written beside the JSONL as
`audio/<sha256>.<ext>`, referenced by their content hash.
"""

from __future__ import annotations

import hashlib
import io
import wave
from dataclasses import dataclass

from ..errors import InputError

#: a recording longer than this is refused (a correction is a few sentences; 16 kHz mono WAV is 32 kB/s)
MAX_BYTES = 20 * 1024 * 1024
EXTENSIONS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/webm": "webm", "audio/ogg": "ogg"}


@dataclass(frozen=True)
class AudioClip:
    data: bytes
    mime: str
    seconds: float | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.mime, "bin")


def wav_seconds(data: bytes) -> float | None:
    """The length of a WAV recording (None when the bytes are not a WAV the standard library reads)."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (wave.Error, EOFError):
        return None


def clip(data: bytes, mime: str | None, *, max_bytes: int = MAX_BYTES) -> AudioClip:
    """A recording from the browser (Streamlit's `st.audio_input` gives WAV), checked before it is stored."""
    if not data:
        raise InputError("the recording is empty", field="audio", hint="record again, a little longer")
    if len(data) > max_bytes:
        raise InputError(
            f"the recording is too long ({len(data) / 1e6:.1f} MB, at most {max_bytes / 1e6:.0f} MB)",
            field="audio",
            hint="record a shorter correction, or split it",
        )
    kind = (mime or "audio/wav").split(";")[0].strip().lower()
    seconds = wav_seconds(data) if EXTENSIONS.get(kind) == "wav" else None
    if EXTENSIONS.get(kind) == "wav" and seconds is None:
        raise InputError("the recording is not a readable WAV file", field="audio", hint="record again")
    return AudioClip(data=data, mime="audio/wav" if EXTENSIONS.get(kind) == "wav" else kind, seconds=seconds)


def file_name(sha256: str, mime: str) -> str:
    """Where an exported recording goes, relative to the JSONL: audio/<sha256>.<ext>."""
    return f"audio/{sha256}.{EXTENSIONS.get(mime, 'bin')}"
