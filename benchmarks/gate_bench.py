"""Gate benchmark: candidate vs champion on 2 × 10,000 items, 1,000 paired resamples (goal ≤ 5 s).

Three figures:
  1. statistics only — one seeded counts matrix, chrF++ (24 statistics per item) and a mean metric
     (edit similarity), both systems, CI, p, MDE, Holm;
  2. the full comparison from the store — the two runs' item scores read from DuckDB, paired, resampled;
  3. for scale, sacrebleu's own PairedTest (bootstrap) on the same 10,000 text pairs, chrF++ only.

Run: PYTHONPATH=$PWD /work/venv/bin/python benchmarks/gate_bench.py [--items 10000] [--resamples 1000]
     [--skip-sacrebleu]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evalharness.config import Config, GateConfig, MetricsConfig  # noqa: E402
from evalharness.gate.compare import compare_runs  # noqa: E402
from evalharness.gate.stats import draw_counts, holm_adjust, paired_bootstrap, sacrebleu_p_value  # noqa: E402
from evalharness.metrics import build_metric  # noqa: E402
from evalharness.runner import Runner  # noqa: E402
from evalharness.store import Store  # noqa: E402
from evalharness.suites import load_suite  # noqa: E402

LETTERS = "aâeiîoôuhknmtṯsyzgbw"


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 8))) for _ in range(n)]


def corrupt(text: str, share: float, rng: random.Random) -> str:
    parts = text.split()
    for index in rng.sample(range(len(parts)), max(1, round(share * len(parts)))):
        parts[index] = words(rng, 1)[0]
    return " ".join(parts)


def make_data(n: int) -> tuple[list[str], list[str], list[str]]:
    rng = random.Random(20261125)
    refs = [" ".join(words(rng, rng.randint(4, 12))) for _ in range(n)]
    return refs, [corrupt(r, 0.45, rng) for r in refs], [corrupt(r, 0.40, rng) for r in refs]


def write_lab(folder: Path, refs: list[str], champion: list[str], candidate: list[str]) -> None:
    suite = folder / "suites" / "bench"
    suite.mkdir(parents=True)
    (suite / "suite.toml").write_text('name = "bench"\nversion = "1"\nkind = "dictionary_qa"\ndescription = "bench"\n'
                                      'license = "test"\n[provenance]\nsource = "benchmarks/gate_bench.py"\n'
                                      '[governance]\nallowed_uses = ["evaluation"]\n', encoding="utf-8")
    with (suite / "items.jsonl").open("w", encoding="utf-8") as fh:
        for i, ref in enumerate(refs):
            fh.write(json.dumps({"id": f"b{i:05d}", "prompt": f"q{i}", "reference": ref}, ensure_ascii=False) + "\n")
    ckpts = folder / "checkpoints"
    ckpts.mkdir()
    for name, replies in (("champion", champion), ("candidate", candidate)):
        with (ckpts / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for i, reply in enumerate(replies):
                fh.write(json.dumps({"id": f"b{i:05d}", "reply": reply}, ensure_ascii=False) + "\n")
        (ckpts / f"{name}.toml").write_text(f'name = "{name}"\nbackend = "replay"\nmodel = "{name}"\n'
                                            f'replies = "{name}.jsonl"\n', encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--skip-sacrebleu", action="store_true")
    args = parser.parse_args()
    n, b = args.items, args.resamples
    print(f"gate benchmark: 2 × {n:,} items, {b:,} resamples, {os.cpu_count()} CPU(s)")
    refs, champion, candidate = make_data(n)
    chrf, edit = build_metric("chrf++"), build_metric("edit_similarity")
    from evalharness.metrics.overlap import normalise
    from rapidfuzz.distance import Levenshtein

    stats = {}
    for name, hyps in (("champion", champion), ("candidate", candidate)):
        stats[name, "chrf++"] = np.array(chrf.sacrebleu._extract_corpus_statistics(hyps, [refs]), dtype=float)
        stats[name, "edit"] = np.array([[Levenshtein.normalized_similarity(normalise(h), normalise(r)), 1.0]
                                        for h, r in zip(hyps, refs)])

    # 1. statistics only (best of 3: the first touches fresh memory pages)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        counts = draw_counts([n], b, seed=12345)
        kept: dict[str, dict[str, np.ndarray]] = {"chrf++": {}, "edit_similarity": {}}
        results = {name: paired_bootstrap(metric, stats["candidate", key], stats["champion", key], counts,
                                          alpha=0.05, power=0.8, keep=kept[name])
                   for name, metric, key in (("chrf++", chrf, "chrf++"), ("edit_similarity", edit, "edit"))}
        holm_adjust([r.tail for r in results.values()], [kept[name]["gains"] for name in results], 0.05)
        timings.append(time.perf_counter() - start)
    print(f"1. statistics only (counts matrix + 2 metrics × 2 systems + Holm): {min(timings):.2f} s "
          f"(first call {timings[0]:.2f} s)")
    for name, r in results.items():
        print(f"   {name}: champion {r.champion_score:.2f}, candidate {r.candidate_score:.2f}, gain {r.gain:+.2f} "
              f"[{r.ci_low:+.2f}, {r.ci_high:+.2f}], p {r.p_value:.4f}, MDE {r.mde:.2f}")

    # 2. the full comparison, reading the two runs' item scores from DuckDB
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_lab(folder, refs, champion, candidate)
        config = Config(metrics=MetricsConfig(enabled=["chrf++", "edit_similarity"], required=["chrf++"]),
                        gate=GateConfig(primary={"chrf++": 0.0}, guards={"edit_similarity": 1.0}, required=[]),
                        source=str(folder / "evalharness.toml"))
        store = Store(folder / "bench.duckdb")
        suite = load_suite(folder / "suites" / "bench")
        from evalharness.checkpoints import load_checkpoint

        start = time.perf_counter()
        runner = Runner(config, store)
        runs = {name: runner.run(load_checkpoint(folder / "checkpoints" / f"{name}.toml"), suite).run_id
                for name in ("champion", "candidate")}
        setup = time.perf_counter() - start
        start = time.perf_counter()
        comparison = compare_runs(store, config.gate, [runs["candidate"]], [runs["champion"]])
        compare_s = time.perf_counter() - start
        gain = comparison.metric("chrf++").estimate.gain  # type: ignore[union-attr]
        print(f"2. full comparison from DuckDB (load + pair + resample + Holm): {compare_s:.2f} s "
              f"(chrF++ gain {gain:+.2f}; the two replay runs took {setup:.1f} s to make)")

    # 3. sacrebleu's paired bootstrap on the same texts
    if not args.skip_sacrebleu:
        from sacrebleu.metrics import CHRF
        from sacrebleu.significance import PairedTest

        os.environ["SACREBLEU_SEED"] = "12345"
        start = time.perf_counter()
        _, scores = PairedTest([("champion", champion), ("candidate", candidate)], {"chrF++": CHRF(word_order=2)},
                               references=[refs], test_type="bs", n_samples=b)()
        sacre_s = time.perf_counter() - start
        sb = scores["chrF2++"][1]
        ours = results["chrf++"]
        formula_p = sacrebleu_p_value(kept["chrf++"]["candidate"], kept["chrf++"]["champion"], ours.delta)
        print(f"3. sacrebleu PairedTest (chrF++ only, from texts): {sacre_s:.2f} s — its p {sb.p_value:.4f}, its "
              f"formula on our resamples {formula_p:.4f} (the gate's own p: {ours.p_value:.4f}); "
              f"ratio sacrebleu / our statistics-only = {sacre_s / min(timings):.1f}×")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole process): {peak_mb:.0f} MB; goal: statistics ≤ 5 s → "
          f"{'met' if min(timings) <= 5 and compare_s <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
