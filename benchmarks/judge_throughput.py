"""The judge: throughput against a loopback Gemini endpoint, cache cost, and how wide agreement intervals are.

    PYTHONPATH=$PWD python benchmarks/judge_throughput.py [--items 300] [--samples 3] [--latency 0.05]
                                                          [--concurrency 16]

1. Judging: N items × k samples through `Judge.judge` (the real google-genai SDK, ProviderSession, the
   audit log, DuckDB) against the shared fake provider in its own process with a fixed latency. Figure:
   wall time as a ratio of the floor N·k·latency / concurrency (1.00 = no overhead).
2. Cache: the same pairs again — wall time as a ratio of the first pass, and requests sent (goal 0).
3. Calibration: bootstrap time for 1,000 resamples at 100 and 1,000 ratings.
4. Interval width: simulated speaker and judge grades (1–5) whose Spearman ρ is about 0.6; the mean
   half-width of the 95% bootstrap interval of ρ with 50, 100 and 200 ratings (over 20 simulated sets) —
   the figure behind "100 ratings give about ±0.14".
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

import numpy as np  # noqa: E402

from evalharness.judge.calibrate import agreement_stats  # noqa: E402
from evalharness.judge.engine import Judge  # noqa: E402
from evalharness.judge.rubric import load_rubric  # noqa: E402
from evalharness.judge.settings import JudgeConfig  # noqa: E402
from evalharness.providers.settings import ProviderSettings  # noqa: E402
from evalharness.store import Store  # noqa: E402
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, make_suite  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VERDICT = ('{"rationale": "ok", "criteria": {"stoney_form": 4, "faithful_meaning": 4, "cultural_context": 4, '
           '"no_invented_words": 4, "respectful_tone": 4}, "flags": [], "overall": 4}')


def _reply(prompt: str, system: str | None) -> str:
    return VERDICT


def _serve(latency: float, conn, stop) -> None:  # runs in the server process
    from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer

    with FakeProviderServer(FakeBehaviour(latency_s=latency, reply=_reply), keep_bodies=False) as fake:
        conn.send(fake.url)
        while not stop.wait(0.05):
            pass
        conn.send(fake.stats.requests)


def judging(items: int, samples: int, latency: float, concurrency: int, provider: str) -> None:
    os.environ.setdefault("GOOGLE_API_KEY", "benchmark-key-not-secret")
    os.environ.setdefault("OPENAI_API_KEY", "benchmark-key-not-secret")
    parent, child = mp.Pipe()
    stop = mp.Event()
    server = mp.Process(target=_serve, args=(latency, child, stop), daemon=True)
    server.start()
    url = parent.recv()
    meta = SuiteMeta(name="bench", version="1", kind="dictionary_qa", description="benchmark", license="test",
                     provenance=Provenance(source="benchmark"),
                     governance=Governance(allowed_uses=["evaluation", "external_judging"]))
    suite = make_suite(meta, [Item(id=f"b{i}", prompt=f"question {i}", reference=f"reference {i}")
                              for i in range(items)])
    pairs = [(item, f"answer {item.id}") for item in suite.items]
    config = JudgeConfig(enabled=True, provider=provider, model="bench-judge", samples=samples, concurrency=concurrency,
                         base_url=url if provider == "gemini" else url + "/v1")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        judge = Judge.from_config(config, load_rubric(ROOT / "rubrics" / "cultural_authenticity.toml"), store,
                                  providers={provider: ProviderSettings()})
        store.query("SELECT 1")  # migrations outside the timing
        start = time.perf_counter()
        first = judge.judge(pairs, suite=suite, run_id="bench")
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = judge.judge(pairs, suite=suite, run_id="bench")
        cached_s = time.perf_counter() - start
    stop.set()
    requests = parent.recv()
    server.join(timeout=10)
    floor = items * samples * latency / concurrency
    scored = sum(1 for j in first.judgements.values() if j.status == "scored")
    print(f"judging ({provider}): {items} items × {samples} samples, latency {latency:.3f}s, "
          f"concurrency {concurrency}")
    print(f"  first pass  {first_s:7.2f}s  floor {floor:.2f}s  ratio {first_s / floor:.2f}  "
          f"({first.sent} requests, {scored}/{items} items scored)")
    print(f"  cached pass {cached_s:7.2f}s  ratio to first {cached_s / first_s:.3f}  "
          f"requests sent {again.sent} (server saw {requests} in all)")


def calibration_speed() -> None:
    rng = np.random.default_rng(0)
    agreement_stats([1, 2, 3], [1, 2, 3], n_resamples=10)  # imports (sklearn, scipy) outside the timing
    for n in (100, 1000):
        human = rng.integers(1, 6, n)
        judge = np.clip(human + rng.integers(-1, 2, n), 1, 5).astype(float)
        start = time.perf_counter()
        agreement_stats(human, judge, n_resamples=1000, seed=1)
        print(f"calibration: {n:5d} ratings, 1,000 resamples: {time.perf_counter() - start:.3f}s")


def _correlated_grades(n: int, rho_latent: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    z = rng.multivariate_normal([0, 0], [[1, rho_latent], [rho_latent, 1]], size=n)
    cuts = np.array([-1.2, -0.4, 0.4, 1.2])
    return np.searchsorted(cuts, z[:, 0]) + 1, np.searchsorted(cuts, z[:, 1]) + 1


def interval_width() -> None:
    rng = np.random.default_rng(2026)
    for n in (50, 100, 200):
        rhos, halves = [], []
        for rep in range(20):
            human, judge = _correlated_grades(n, 0.66, rng)
            stats = agreement_stats(human, judge.astype(float), n_resamples=1000, seed=rep)
            ci = stats["rho_ci"]
            rhos.append(stats["rho"])
            halves.append((ci.high - ci.low) / 2)
        print(f"interval: {n:4d} ratings, Spearman ρ ≈ {np.mean(rhos):.2f}: 95% CI half-width "
              f"{np.mean(halves):.3f} (mean of 20 simulated sets)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--provider", choices=("gemini", "openai"), default="gemini")
    args = parser.parse_args()
    judging(args.items, args.samples, args.latency, args.concurrency, args.provider)
    calibration_speed()
    interval_width()


if __name__ == "__main__":
    main()
