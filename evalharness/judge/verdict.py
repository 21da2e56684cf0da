"""The verdict: the only shape a judge's answer may take, and the strict check every answer goes through.

The schema is built from the rubric — one integer 1–5 per criterion, an overall integer 1–5, a short
rationale, and flags drawn from the rubric's fixed set — and sent to the provider as structured output.
Structured output is a request, not a guarantee (and a local server may ignore it), so every answer is
parsed again here: not JSON, a missing or extra key, a score of 0, 6 or 4.5, a string "5", an unknown
flag — each makes the verdict invalid, with a reason that names the key. Nothing in the graded text can
widen this schema: it is fixed before the text is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .rubric import Rubric

SCORE_MIN, SCORE_MAX = 1, 5
RATIONALE_MAX = 2000


class InvalidVerdict(ValueError):
    """The judge answered, but not with a verdict the rubric allows. The message says what was wrong."""


@dataclass(frozen=True)
class Verdict:
    criteria: tuple[tuple[str, int], ...]  # (criterion id, score) in rubric order
    overall: int
    rationale: str
    flags: tuple[str, ...]

    @property
    def criteria_dict(self) -> dict[str, int]:
        return dict(self.criteria)

    @property
    def cas(self) -> float:
        """The overall grade mapped onto 0–1: 1 → 0.0, 3 → 0.5, 5 → 1.0."""
        return overall_to_cas(self.overall)

    def to_json(self) -> dict[str, Any]:
        return {
            "rationale": self.rationale,
            "criteria": self.criteria_dict,
            "flags": list(self.flags),
            "overall": self.overall,
        }


def overall_to_cas(overall: float) -> float:
    return (float(overall) - SCORE_MIN) / (SCORE_MAX - SCORE_MIN)


def response_schema(rubric: Rubric) -> dict[str, Any]:
    """The JSON Schema sent as structured output (a subset both Gemini and OpenAI strict mode accept).

    Key order matters to a generating model: the rationale comes first so the grades follow from it.
    """
    score = {"type": "integer", "minimum": SCORE_MIN, "maximum": SCORE_MAX}
    criteria = {
        "type": "object",
        "properties": {cid: {**score, "description": c.name} for cid, c in rubric.spec.criteria.items()},
        "required": list(rubric.criteria_ids),
        "additionalProperties": False,
    }
    flag_items: dict[str, Any] = (
        {"type": "string", "enum": list(rubric.flag_ids)} if rubric.flag_ids else {"type": "string", "enum": ["none"]}
    )
    return {
        "type": "object",
        "properties": {
            "rationale": {"type": "string", "description": "two or three sentences: why these grades"},
            "criteria": criteria,
            "flags": {"type": "array", "items": flag_items},
            "overall": {**score, "description": "holistic grade, 1-5"},
        },
        "required": ["rationale", "criteria", "flags", "overall"],
        "additionalProperties": False,
    }


def _validator(rubric: Rubric) -> type[BaseModel]:
    strict = ConfigDict(extra="forbid", strict=True)
    score = (int, Field(ge=SCORE_MIN, le=SCORE_MAX))
    fields: dict[str, Any] = dict.fromkeys(rubric.criteria_ids, score)
    criteria_model = create_model("Criteria", __config__=strict, **fields)
    flag_type: Any = Literal[tuple(rubric.flag_ids)] if rubric.flag_ids else Literal["none"]
    return create_model(
        "VerdictModel",
        __config__=strict,
        rationale=(str, Field(min_length=1, max_length=RATIONALE_MAX)),
        criteria=(criteria_model, ...),
        flags=(list[flag_type], ...),
        overall=score,
    )


class VerdictParser:
    """Parses judge answers against one rubric. Build once per rubric (the pydantic model is made here)."""

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        self._model = _validator(rubric)

    def parse(self, text: str | None) -> Verdict:
        if text is None or not text.strip():
            raise InvalidVerdict("empty answer (no verdict)")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidVerdict(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        except RecursionError:
            raise InvalidVerdict("JSON nested too deeply to be a verdict") from None
        if not isinstance(data, dict):
            raise InvalidVerdict(f"expected a JSON object, got {type(data).__name__}")
        try:
            model = self._model.model_validate(data)
        except ValidationError as exc:
            raise InvalidVerdict(_describe(exc)) from None
        fields: Any = model  # a model made at run time from the rubric: its fields are not known statically
        rationale = fields.rationale.strip()
        if not rationale:
            raise InvalidVerdict("rationale: empty")
        criteria = fields.criteria
        flags = tuple(dict.fromkeys(f for f in fields.flags if f != "none"))
        return Verdict(
            criteria=tuple((cid, int(getattr(criteria, cid))) for cid in self.rubric.criteria_ids),
            overall=int(fields.overall),
            rationale=rationale,
            flags=flags,
        )


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        key = ".".join(str(p) for p in err["loc"]) or "verdict"
        message = "unexpected key" if err["type"] == "extra_forbidden" else err["msg"]
        got = err.get("input")
        shown = "" if err["type"] in ("missing", "extra_forbidden") else f" (got {json.dumps(got)[:40]})"
        parts.append(f"{key}: {message}{shown}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
