"""Tables `generations` and `loglikelihoods`: the caches every run shares (a finished answer is never paid twice)
— and `run_items`' links from a run's items to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ..checkpoints import Checkpoint
from .connection import Store


@dataclass(frozen=True)
class GenerationRow:
    cache_key: str
    checkpoint_identity: str
    settings_hash: str
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_s: float | None
    attempts: int | None


@dataclass(frozen=True)
class LoglikelihoodRow:
    cache_key: str
    checkpoint_identity: str
    nats: float
    tokens: int
    chars: int
    bytes: int


def cached_generations(store: Store, keys: Sequence[str]) -> dict[str, str]:
    """cache_key → text for the keys already generated (by any run)."""
    if not keys:
        return {}
    return dict(store.query("SELECT cache_key, text FROM generations WHERE cache_key = ANY(?)", [list(keys)]))


def put_generation_results(
    store: Store, run_id: str, checkpoint: Checkpoint, results: Sequence[dict[str, Any]]
) -> None:
    """Write finished generations to the cache and link every result (ok or failed) to its run item.

    `results` rows: cache_key, item_id, status, text, error, prompt_tokens, completion_tokens, latency_s, attempts.
    """
    if not results:
        return
    ok = [r for r in results if r["status"] == "ok"]
    now = datetime.now(UTC).replace(tzinfo=None)  # the store keeps UTC (a re-link must touch the time)
    with store.transaction() as con:
        if ok:
            con.insert(
                "generations",
                pa.table(
                    {
                        "cache_key": [r["cache_key"] for r in ok],
                        "checkpoint_identity": [checkpoint.identity] * len(ok),
                        "settings_hash": [checkpoint.settings_hash] * len(ok),
                        "text": [r["text"] for r in ok],
                        "prompt_tokens": pa.array([r.get("prompt_tokens") for r in ok], pa.int32()),
                        "completion_tokens": pa.array([r.get("completion_tokens") for r in ok], pa.int32()),
                        "latency_s": pa.array([r.get("latency_s") for r in ok], pa.float64()),
                        "attempts": pa.array([r.get("attempts", 1) for r in ok], pa.int32()),
                    }
                ),
                conflict="ignore",
                key=("cache_key",),
            )
        con.insert(
            "run_items",
            pa.table(
                {
                    "run_id": [run_id] * len(results),
                    "item_id": [r["item_id"] for r in results],
                    "cache_key": [r["cache_key"] for r in results],
                    "status": [r["status"] for r in results],
                    "error": pa.array([r.get("error") for r in results], pa.string()),
                    "updated_at": pa.array([now] * len(results), pa.timestamp("us")),
                }
            ),
            conflict="replace",
            key=("run_id", "item_id"),
        )


def cached_loglikelihoods(store: Store, keys: Sequence[str]) -> dict[str, tuple[float, int, int, int]]:
    if not keys:
        return {}
    rows = store.query(
        "SELECT cache_key, nats, tokens, chars, bytes FROM loglikelihoods WHERE cache_key = ANY(?)", [list(keys)]
    )
    return {key: (nats, tokens, chars, nbytes) for key, nats, tokens, chars, nbytes in rows}


def put_loglikelihoods(store: Store, identity: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    with store.transaction() as con:
        con.insert(
            "loglikelihoods",
            pa.table(
                {
                    "cache_key": [r["cache_key"] for r in rows],
                    "checkpoint_identity": [identity] * len(rows),
                    "nats": pa.array([r["nats"] for r in rows], pa.float64()),
                    "tokens": pa.array([r["tokens"] for r in rows], pa.int32()),
                    "chars": pa.array([r["chars"] for r in rows], pa.int32()),
                    "bytes": pa.array([r["bytes"] for r in rows], pa.int32()),
                }
            ),
            conflict="ignore",
            key=("cache_key",),
        )
