"""Faults against a remote checkpoint: how much of the sending span is idle when requests stall.

    PYTHONPATH=$PWD python benchmarks/fault_throughput.py [--items 400] [--latency 0.1] [--concurrency 16]
        [--fault-rate 0.08] [--timeout 60] [--stall 90]

A loopback fake (OpenAI chat protocol, the real `openai` SDK, the real Runner) answers in `--latency` seconds,
except that a share of attempts (`--fault-rate`) either gets a 429 (which halves the adaptive concurrency) or
stalls: the server holds the request for `--stall` seconds, longer than the client's `--timeout`. Faults are
drawn per attempt, so a retried request usually succeeds.

Figures (from the `external_calls` audit rows of the run — one per attempt, with its end time and latency):
- sending span: from the start of the first attempt to the end of the last;
- idle share: the part of that span in which no attempt that got a reply from the server was in flight —
  the run was only waiting on stalled requests (or backing off). Lower is better; 0 is "always working";
- the floor N · latency / concurrency, and the span as a ratio of it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evalharness.checkpoints import Checkpoint  # noqa: E402
from evalharness.config import Config  # noqa: E402
from evalharness.runner import Runner  # noqa: E402
from evalharness.store import Store  # noqa: E402
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, make_suite  # noqa: E402
from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer  # noqa: E402

#: attempts that ended without a reply from the server: waiting on them is idle time
NO_REPLY = {"timeout", "stalled", "connection", "cancelled"}


def idle_share(calls: list[tuple[float, float, str]]) -> tuple[float, float, float]:
    """(span seconds, busy seconds, idle share) from (start, end, status) of every attempt."""
    start = min(s for s, _, _ in calls)
    end = max(e for _, e, _ in calls)
    busy, covered_to = 0.0, start
    for s, e, _ in sorted((c for c in calls if c[2] not in NO_REPLY), key=lambda c: c[0]):
        s = max(s, covered_to)
        if e > s:
            busy += e - s
            covered_to = e
    span = end - start
    return span, busy, 1 - busy / span if span > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.08)
    parser.add_argument("--timeout", type=float, default=60.0, help="the client's per-request timeout (s)")
    parser.add_argument("--stall", type=float, default=90.0, help="how long a stalled request is held (s)")
    args = parser.parse_args()

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    behaviour = FakeBehaviour(latency_s=args.latency, fault_rate=args.fault_rate, fault_kinds=("429", "timeout"),
                              timeout_sleep_s=args.stall, retry_after_s=0.0)
    with tempfile.TemporaryDirectory() as tmp, FakeProviderServer(behaviour, keep_bodies=False) as fake:
        store = Store(Path(tmp) / "bench.duckdb")
        meta = SuiteMeta(name="faults", version="1", kind="dictionary_qa", description="benchmark",
                         license="synthetic", provenance=Provenance(source="benchmarks/fault_throughput.py"),
                         governance=Governance(allowed_uses=["evaluation", "external_generation"]))
        suite = make_suite(meta, [Item(id=f"f{k:05d}", prompt=f"Translate item {k} into Stoney.",
                                       reference=f"Stoney answer {k}", system="Be brief.")
                                  for k in range(args.items)])
        checkpoint = Checkpoint(name="faulty-vllm", backend="openai_compatible", model="bench-model",
                                base_url=fake.url + "/v1")
        config = Config.model_validate({
            "run": {"concurrency": args.concurrency},
            "metrics": {"enabled": ["chrf"], "required": ["chrf"]},
            "providers": {"openai_compatible": {"timeout_s": args.timeout, "max_retries": 8, "backoff_s": 0.05,
                                                "max_backoff_s": 1.0}}})
        t0 = time.perf_counter()
        result = Runner(config, store).run(checkpoint, suite)
        wall = time.perf_counter() - t0
        rows = store.query("SELECT epoch(called_at) - latency_s, epoch(called_at), status FROM external_calls "
                           "WHERE run_id = ?", [result.run_id])
        by_status: dict[str, int] = {}
        for _, _, status in rows:
            by_status[status] = by_status.get(status, 0) + 1
    span, busy, idle = idle_share([(float(s), float(e), str(status)) for s, e, status in rows])
    floor = args.items * args.latency / args.concurrency
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at the end")
    print(f"{args.items} items, {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}, "
          f"fault rate {args.fault_rate:.0%} (429 or a {args.stall:g} s stall), client timeout {args.timeout:g} s")
    print(f"  run status                      {result.status} ({result.n_failed} failed)")
    print(f"  attempts by status              {dict(sorted(by_status.items()))}")
    print(f"  floor N·latency/concurrency     {floor:7.2f} s")
    print(f"  sending span                    {span:7.2f} s   ratio to the floor {span / floor:.1f}   (run {wall:.1f} s)")
    print(f"  time with a productive request  {busy:7.2f} s")
    print(f"  idle share of the sending span  {idle:7.1%}")


if __name__ == "__main__":
    main()
