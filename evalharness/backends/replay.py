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
from ..registry import BackendEntry
from .base import Generation, LogLikelihood, Request
from .context import BackendContext


class ReplayBackend:
    name = "replay"
    supports_loglikelihood = False
    unsupported_reason = "replay backend holds recorded text only, no model to score a reference with"

    def __init__(self, checkpoint: Checkpoint) -> None:
        path = checkpoint.resolve(checkpoint.replies)
        assert path is not None
        self.path = path
        self.replies: dict[str, str] = {}
        for line, obj in read_jsonl(path):
            item_id = obj.get("id")
            if isinstance(item_id, int) and not isinstance(item_id, bool):
                item_id = str(item_id)
            if not isinstance(item_id, str) or not item_id:
                raise InputError("missing or not a string", path=path, line=line, field="id")
            if item_id in self.replies:
                raise InputError(f"duplicate reply for id '{item_id}'", path=path, line=line, field="id")
            self.replies[item_id] = require_str(obj, "reply", path=path, line=line, allow_empty=True)

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


def _check_manifest(checkpoint: Checkpoint, path: Path) -> None:
    replies = checkpoint.resolve(checkpoint.replies)
    if replies is None:
        raise InputError("the replay backend needs 'replies' (a JSONL of {id, reply})", path=path, field="replies")
    if not replies.is_file():
        raise InputError(f"replies file {replies} not found", path=path, field="replies")


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
    loglikelihood_unsupported=lambda checkpoint: ReplayBackend.unsupported_reason,
)
