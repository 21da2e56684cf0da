"""Each finished generation is in the store while the backend is still working on the next one."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from evalharness.backends.base import Generation, LogLikelihood, Request
from evalharness.checkpoints import Checkpoint
from evalharness.config import Config
from evalharness.runner import Runner
from evalharness.store import Store


class WaitsForTheStore:
    """Yields one generation, then refuses to go on until the runner has stored it."""

    name = "probe"
    supports_loglikelihood = False
    unsupported_reason = "probe"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.waited: list[float] = []

    def generate(self, requests: Sequence[Request]) -> Iterator[Generation]:
        for request in requests:
            yield Generation(item_id=request.item_id, status="ok", text=f"answer {request.item_id}")
            start = time.monotonic()
            while not self.store.query("SELECT 1 FROM run_items WHERE item_id = ?", [request.item_id]):
                assert time.monotonic() - start < 5, f"{request.item_id} was not stored while the run went on"
                time.sleep(0.01)
            self.waited.append(time.monotonic() - start)

    def loglikelihood(self, requests: Sequence[Request]) -> Iterator[LogLikelihood]:
        raise RuntimeError("unsupported")

    def close(self) -> None:
        return None


def test_each_generation_is_stored_as_it_finishes(make_suite_dir, store: Store, tmp_path):
    suite = make_suite_dir(5, allowed=("evaluation",))
    replies = tmp_path / "r.jsonl"
    replies.write_text("", encoding="utf-8")
    checkpoint = Checkpoint(name="probe", backend="replay", model="probe", replies=str(replies))
    probe = WaitsForTheStore(store)
    config = Config.model_validate({"metrics": {"enabled": ["exact_match"], "required": ["exact_match"]}})
    result = Runner(config, store, backend_factory=lambda c: probe).run(checkpoint, suite)
    assert result.status == "complete" and len(probe.waited) == 5
    assert max(probe.waited) < 1.0  # a trickle is written at once, not held back for a batch
