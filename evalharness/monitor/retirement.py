"""When does the deployed model stop answering? OpenAI's models endpoint says (`Model.shutdown_date`).

For an OpenAI checkpoint the model is looked up, and for a fine-tune (`ft:<base>:<org>:<name>:<id>`) its
base model too, because a fine-tune dies with its base. The earliest announced date counts. A model the
endpoint does not know (HTTP 404) is *gone*: an alarm of its own, not a warning. Other providers do not
announce shutdown dates through their APIs; for them the answer is "unsupported" with the reason —
never a date nobody announced.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..checkpoints import Checkpoint
from ..providers.audit import CallRecord
from ..providers.failures import classify

#: statuses of one lookup: ok (answered; shutdown_date may be None = not announced), gone (404),
#: unknown (the lookup failed otherwise), unsupported (the provider announces no dates through its API)
LookupStatus = str


@dataclass(frozen=True)
class ModelLookup:
    model: str
    role: str  # "model" | "base model"
    status: LookupStatus
    shutdown_date: date | None = None
    raw_shutdown_date: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Retirement:
    """What is known about one endpoint's retirement on one day."""

    checkpoint: str
    backend: str
    lookups: tuple[ModelLookup, ...]
    checked_on: date

    @property
    def gone(self) -> ModelLookup | None:
        """The endpoint's own model answered 404 (a base model that 404s is reported, not an alarm)."""
        return next((x for x in self.lookups if x.role == "model" and x.status == "gone"), None)

    @property
    def earliest(self) -> ModelLookup | None:
        dated = [x for x in self.lookups if x.shutdown_date is not None]
        return min(dated, key=lambda x: x.shutdown_date) if dated else None  # type: ignore[arg-type,return-value]

    @property
    def days_left(self) -> int | None:
        first = self.earliest
        return None if first is None else (first.shutdown_date - self.checked_on).days  # type: ignore[operator]

    def within(self, horizon_days: int) -> bool:
        left = self.days_left
        return left is not None and left <= horizon_days

    def describe(self) -> str:
        gone = self.gone
        if gone is not None:
            return f"model '{gone.model}' is gone: the endpoint answered 404 ({gone.reason or 'not found'})"
        first = self.earliest
        if first is not None:
            left = self.days_left
            when = "has shut down" if left is not None and left < 0 else "shuts down"
            return f"{first.role} '{first.model}' {when} on {first.shutdown_date:%Y-%m-%d} ({_days(left)})"
        unsupported = [x for x in self.lookups if x.status == "unsupported"]
        if unsupported:
            return unsupported[0].reason or "not reported by this provider"
        failed = [x for x in self.lookups if x.status == "unknown"]
        if failed:
            return f"could not look up '{failed[0].model}': {failed[0].reason}"
        return "no shutdown date announced"


def _days(left: int | None) -> str:
    if left is None:
        return "date unknown"
    if left < 0:
        return f"{-left} day(s) ago"
    return "today" if left == 0 else f"in {left} day(s)"


def models_to_check(checkpoint: Checkpoint) -> list[tuple[str, str]]:
    """(model id, role): the model, and for an OpenAI fine-tune `ft:<base>:…` its base model."""
    return model_ids(checkpoint.model)


def model_ids(model: str) -> list[tuple[str, str]]:
    out = [(model, "model")]
    if model.startswith("ft:"):
        parts = model.split(":")
        if len(parts) > 1 and parts[1]:
            out.append((parts[1], "base model"))
    return out


def parse_shutdown_date(value: Any) -> date | None:
    """The SDK types it as a string; accept an ISO date or date-time, or Unix seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC).date()
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def lookup_retirement(
    checkpoint: Checkpoint,
    today: date,
    *,
    timeout_s: float = 30.0,
    audit: list[CallRecord] | None = None,
    key_hosts: Mapping[str, Sequence[str]] | None = None,
) -> Retirement:
    """Ask the provider (OpenAI only) about the checkpoint's model(s). One request per model, no retries.

    `audit`, when given, receives one CallRecord per request (the caller writes them to external_calls).
    """
    lookups: list[ModelLookup] = []
    if checkpoint.backend != "openai":
        why = {
            "gemini": "the Gemini API announces no shutdown dates through its models endpoint",
            "openai_compatible": f"the server at {checkpoint.base_url} is not OpenAI; its models endpoint "
            "announces no shutdown dates",
        }.get(checkpoint.backend, "local weights do not retire")
        lookups = [ModelLookup(m, role, "unsupported", reason=why) for m, role in models_to_check(checkpoint)]
        return Retirement(checkpoint.name, checkpoint.backend, tuple(lookups), today)
    import openai

    from ..backends.remote import checkpoint_api_key
    from ..providers.keys import NO_KEY

    key = checkpoint_api_key(checkpoint, key_hosts)  # only to a host the operator tied the key to
    client = openai.OpenAI(
        api_key=key.reveal() if key else NO_KEY, base_url=checkpoint.base_url, max_retries=0, timeout=timeout_s
    )
    try:
        for model, role in models_to_check(checkpoint):
            started = time.monotonic()
            status: str = "ok"
            http_status: int | None = 200
            reason: str | None = None
            try:
                found = client.models.retrieve(model)
                raw = getattr(found, "shutdown_date", None)
                when = parse_shutdown_date(raw)
                if raw not in (None, "") and when is None:
                    status, reason = "unknown", f"unreadable shutdown_date {raw!r}"
                lookups.append(ModelLookup(model, role, status, when, None if raw is None else str(raw), reason))
            except Exception as exc:  # classified: 404 → gone; anything else → unknown, with the reason
                failure = classify(exc)
                http_status = failure.http_status
                status = "gone" if failure.http_status == 404 else "unknown"
                reason = failure.reason
                lookups.append(ModelLookup(model, role, status, reason=reason))
            if audit is not None:
                audit.append(
                    CallRecord(
                        provider=checkpoint.provider_name,
                        model=model,
                        purpose="retirement",
                        status="ok" if status == "ok" else ("not_found" if status == "gone" else "error"),
                        endpoint="models.retrieve",
                        http_status=http_status,
                        latency_s=time.monotonic() - started,
                        error=reason,
                    )
                )
    finally:
        client.close()
    return Retirement(checkpoint.name, checkpoint.backend, tuple(lookups), today)
