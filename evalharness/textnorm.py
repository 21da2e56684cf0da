"""Text keys shared by the split and the contamination check, so both mean the same by "the same prompt"."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_prompt(text: str) -> str:
    """NFC, case-folded, punctuation and spacing removed: 'What does KEYA mean?' ~ 'what does keya mean'."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()
