"""The judge's fake: the one loopback provider server (evalharness.testing) answering from a script.

A script is a function of the recorded request that returns the judge's answer text, or an `HttpError` to
send instead. The server answers both Gemini (`/v1*/models/{m}:generateContent`) and OpenAI
(`/v1/chat/completions`) in their own wire formats, with a fixed usage of 100 prompt and 20 output tokens.
"""

from __future__ import annotations

import json
from typing import Any

from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer, HttpError, RecordedRequest, Script

Recorded = RecordedRequest

__all__ = ["FakeJudgeServer", "HttpError", "Recorded", "Script", "verdict_json"]


def verdict_json(overall: Any = 4, *, criteria: dict[str, Any] | None = None, flags: list[str] | None = None,
                 rationale: str = "Matches the reference.", **extra: Any) -> str:
    ids = ("stoney_form", "faithful_meaning", "cultural_context", "no_invented_words", "respectful_tone")
    fill = overall if isinstance(overall, int) and not isinstance(overall, bool) and 1 <= overall <= 5 else 4
    body = {"rationale": rationale, "criteria": criteria if criteria is not None else {c: fill for c in ids},
            "flags": flags or [], "overall": overall, **extra}
    return json.dumps(body)


class FakeJudgeServer(FakeProviderServer):
    """Serves from the moment it is made until `close()`; `script` may be replaced between requests."""

    def __init__(self, script: Script) -> None:
        super().__init__(FakeBehaviour(script=script, fixed_usage=(100, 20)))
        self.start()

    @property
    def script(self) -> Script:
        assert self.behaviour.script is not None
        return self.behaviour.script

    @script.setter
    def script(self, script: Script) -> None:
        self.behaviour.script = script

    def close(self) -> None:
        self.stop()
