"""Throughput of a remote checkpoint: N generations against a loopback endpoint with fixed latency.

    PYTHONPATH=$PWD python benchmarks/remote_throughput.py [--items 2000] [--latency 0.1] [--concurrency 32]

The fake server runs in its own process (as a real server would), speaking the OpenAI chat protocol;
the harness drives it through the real `openai` SDK, the real Runner, its writer thread and DuckDB.

Figures:
- first run: wall time of the generation phase (and of the whole run, scoring included) as a ratio of
  the floor N · latency / concurrency — 1.00 would mean no overhead at all (goal ≤ 1.15);
- cached re-run: an identical re-run (reuses the finished run) and a forced new run answered from the
  cache (`--new`), each as a ratio of the first run's wall time (goal ≤ 0.05) and the number of requests
  the server received during it (goal 0).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evalharness.checkpoints import Checkpoint  # noqa: E402
from evalharness.config import Config  # noqa: E402
from evalharness.runner import Runner, SilentProgress  # noqa: E402
from evalharness.store import Store  # noqa: E402
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, make_suite  # noqa: E402


def _serve(latency: float, conn, stop) -> None:  # runs in the server process
    from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer

    with FakeProviderServer(FakeBehaviour(latency_s=latency), keep_bodies=False) as fake:
        conn.send(fake.url)
        while not stop.wait(0.05):
            if conn.poll():
                conn.recv()
                conn.send((fake.stats.requests, time.process_time()))


def bare_sdk(url: str, n: int, concurrency: int) -> tuple[float, float]:
    """The same N requests through `openai.AsyncOpenAI` alone (a semaphore, no harness): what this machine
    can do at this moment. Returns (wall seconds, CPU seconds of this process)."""
    import asyncio

    from evalharness.providers.clients import openai_client

    async def go() -> None:
        client = openai_client(api_key=None, base_url=url + "/v1", timeout_s=60, max_connections=concurrency + 4)
        gate = asyncio.Semaphore(concurrency)

        async def one(k: int) -> None:
            async with gate:
                reply = await client.chat.completions.create(
                    model="bench-model", max_tokens=96, temperature=0.0,
                    messages=[{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": f"Bare SDK item {k} into Stoney."}])
                assert reply.choices[0].message.content

        await asyncio.gather(*(one(k) for k in range(n)))
        await client.close()

    t0, cpu0 = time.perf_counter(), time.process_time()
    asyncio.run(go())
    return time.perf_counter() - t0, time.process_time() - cpu0


class PhaseTimer(SilentProgress):
    """A Progress that records when each phase starts and ends."""

    def __init__(self) -> None:
        self.phases: dict[str, list[float]] = {}
        self._current: str | None = None

    def start(self, description: str, total: int, *, counts: bool = False) -> None:
        self._current = description.rsplit(": ", 1)[-1]
        self.phases[self._current] = [time.perf_counter(), 0.0]

    def advance(self, n: int = 1) -> None:
        return None

    def done(self) -> None:
        if self._current:
            self.phases[self._current][1] = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(args.latency, child, stop), daemon=True)
    server.start()
    url = parent.recv()

    server_cpu: list[float] = []

    def server_requests() -> int:
        parent.send("count")
        count, cpu = parent.recv()
        server_cpu.append(cpu)
        return count

    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "bench.duckdb")
            meta = SuiteMeta(name="bench", version="1", kind="dictionary_qa", description="benchmark",
                             license="synthetic", provenance=Provenance(source="benchmarks/remote_throughput.py"),
                             governance=Governance(allowed_uses=["evaluation", "external_generation"]))
            suite = make_suite(meta, [Item(id=f"b{k:05d}", prompt=f"Translate item {k} into Stoney.",
                                           reference=f"Stoney answer {k}", system="Be brief.")
                                      for k in range(args.items)])
            checkpoint = Checkpoint(name="bench-vllm", backend="openai_compatible", model="bench-model",
                                    base_url=url + "/v1")
            config = Config.model_validate({"run": {"concurrency": args.concurrency},
                                            "metrics": {"enabled": ["chrf"], "required": ["chrf"]}})
            floor = args.items * args.latency / args.concurrency

            server_requests()
            bare_wall, bare_cpu = bare_sdk(url, args.items, args.concurrency)
            sent_bare = server_requests()

            timer = PhaseTimer()
            t0, cpu0 = time.perf_counter(), time.process_time()
            first = Runner(config, store, progress=timer).run(checkpoint, suite)
            first_wall, first_cpu = time.perf_counter() - t0, time.process_time() - cpu0
            gen_start, gen_end = timer.phases["generating"]
            sent_first = server_requests() - sent_bare

            t0 = time.perf_counter()
            again = Runner(config, store).run(checkpoint, suite)
            again_wall = time.perf_counter() - t0
            sent_again = server_requests() - sent_bare - sent_first

            t0 = time.perf_counter()
            fresh = Runner(config, store).run(checkpoint, suite, new=True)
            fresh_wall = time.perf_counter() - t0
            sent_fresh = server_requests() - sent_bare - sent_first - sent_again
    finally:
        stop.set()
        server.join(timeout=10)

    assert first.status == "complete" and first.n_failed == 0, first
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at the end")
    gen_wall = gen_end - gen_start
    harness_ms = 1000 * first_cpu / args.items
    server_ms = 1000 * (server_cpu[2] - server_cpu[1]) / args.items
    cores = (harness_ms + server_ms) / 1000 * args.items / floor
    rows = [
        ("floor N·latency/concurrency", f"{floor:7.2f} s"),
        ("bare openai SDK, same requests", f"{bare_wall:7.2f} s   ratio {bare_wall / floor:.3f}   "
                                           f"CPU {1000 * bare_cpu / args.items:.2f} ms per request"),
        ("generation phase", f"{gen_wall:7.2f} s   ratio {gen_wall / floor:.3f}"),
        ("whole first run (incl. scoring)", f"{first_wall:7.2f} s   ratio {first_wall / floor:.3f}   "
                                            f"requests {sent_first}"),
        ("harness CPU (this process)", f"{first_cpu:7.2f} s   {harness_ms:.2f} ms per generation "
                                       f"(bare SDK {1000 * bare_cpu / args.items:.2f})"),
        ("fake server CPU (its process)", f"{server_ms:.2f} ms per request; {cores:.2f} CPU cores needed "
                                          "to reach the floor"),
        ("harness over the bare SDK", f"{gen_wall / bare_wall:.3f} × wall"),
        ("identical re-run (reuses the run)", f"{again_wall:7.2f} s   ratio to first {again_wall / first_wall:.3f}   "
                                              f"requests {sent_again}   reused={again.reused}"),
        ("new run answered from the cache", f"{fresh_wall:7.2f} s   ratio to first {fresh_wall / first_wall:.3f}   "
                                            f"requests {sent_fresh}   generated={fresh.generated}"),
    ]
    print(f"{args.items} generations, {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}")
    for label, value in rows:
        print(f"  {label:<36}{value}")

if __name__ == "__main__":
    main()
