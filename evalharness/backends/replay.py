"""Replay: recorded replies keyed by item id, e.g. outputs exported from another tool or a past run.

A reply that is missing for an item is a *failed* item with that reason — never an empty string, which
would score as a real (terrible) answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..checkpoints import Checkpoint, hash_file
from ..errors import InputError
from ..jsonl import read_jsonl, require_str
from ..paths import file_problem
from ..registry import BackendEntry
from .base import Generation, LogLikelihood, Request
from .context import BackendContext


class ReplayBackend:
    name = "replay"
    supports_loglikelihood = False
    unsupported_reason = "replay backend holds recorded text only, no model to score a reference with"

    def __init__(self, checkpoint: Checkpoint) -> None:
        self.path = _replies_path(checkpoint)
        self.replies = read_replies(self.path)

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        for request in requests:
            reply = self.replies.get(request.item_id)
            if reply is None:
                yield Generation.failed(request.item_id, f"no recorded reply for this item in {self.path.name}")
            else:
                yield Generation(item_id=request.item_id, status="ok", text=reply, latency_s=0.0)

    def loglikelihood(self, requests: Sequence[Request]) -> Iterator[LogLikelihood]:
        raise RuntimeError(self.unsupported_reason)

    def close(self) -> None:
        return None


def _replies_path(checkpoint: Checkpoint) -> Path:
    path = checkpoint.resolve(checkpoint.replies)
    if path is None:
        raise InputError(
            "the replay backend needs 'replies' (a JSONL of {id, reply})",
            path=checkpoint.manifest_path,
            field="replies",
        )
    problem = file_problem(path)
    if problem is not None:
        raise InputError(f"replies file {path} {problem}", path=checkpoint.manifest_path, field="replies")
    return path


def read_replies(path: Path) -> dict[str, str]:
    """item id → recorded reply. Every line is checked (JSON, UTF-8, fields, unique ids); nothing is dropped."""
    replies: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, obj in read_jsonl(path):
        item_id = obj.get("id")
        if isinstance(item_id, int) and not isinstance(item_id, bool):
            item_id = str(item_id)
        if not isinstance(item_id, str) or not item_id:
            raise InputError("missing or not a string", path=path, line=line, field="id")
        if item_id in replies:
            raise InputError(
                f"duplicate reply for id '{item_id}' (first on line {first_line[item_id]})",
                path=path,
                line=line,
                field="id",
            )
        replies[item_id] = require_str(obj, "reply", path=path, line=line, allow_empty=True)
        first_line[item_id] = line
    return replies


def _check_manifest(checkpoint: Checkpoint, path: Path) -> None:
    """The replies file is read in full now (every line, unique ids), so a bad file stops before any run exists."""
    read_replies(_replies_path(checkpoint))


def _identity(checkpoint: Checkpoint) -> dict[str, Any]:
    return {"replies": hash_file(checkpoint.resolve(checkpoint.replies))} if checkpoint.replies else {}


def _build(checkpoint: Checkpoint, context: BackendContext) -> ReplayBackend:
    return ReplayBackend(checkpoint)


ENTRY = BackendEntry(
    name="replay",
    description="recorded replies: a JSONL of {id, reply} (outputs of another tool or of a past run)",
    factory=_build,
    check_manifest=_check_manifest,
    identity_parts=_identity,
    # a reply is recorded per item: items that share a prompt (common in dictionary suites) differ here
    answer_inputs=("item_id",),
    loglikelihood_unsupported=lambda checkpoint: ReplayBackend.unsupported_reason,
)
