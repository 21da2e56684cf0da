"""A 10,000-item replay run (chrF++ + embedding cosine + DuckDB writes) against the raw libraries.

    python benchmarks/replay_10k.py [--items 10000] [--repeat 2]

Both sides score the same 10,000 (hypothesis, reference) pairs in the same process, after the embedder
is loaded once: the raw side calls sacrebleu's CHRF (sentence statistics + corpus score) and
sentence-transformers' encode + cosine directly; the harness side is `Runner.run` on a replay checkpoint
into a fresh DuckDB file (suite and cache writes, item scores, run metrics included). Reported: the best
of `--repeat` timings each, their ratio (goal ≤ 1.10) and the peak resident memory of each phase.

The same run once more with the language-aware additions — the suite in Stoney (`language = "sto"`) with
answer extraction declared, and chrF/chrF++ folded, the diacritic-only error rate and share, and invented
words (lexicon: the approved file's own words) enabled, the text metrics scored on the extracted answers
too — gives `language_ratio` = that run / the plain harness run (goal ≤ 1.10).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from sacrebleu.metrics import CHRF

from evalharness.checkpoints import load_checkpoint
from evalharness.config import Config, LanguageSettings, MetricsConfig
from evalharness.extraction import ExtractionSpec
from evalharness.importers import import_openai_chat
from evalharness.metrics.embedding import load_embedder
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, make_suite

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "stoney_valid.jsonl"


class PeakRSS:
    """Samples /proc/self/statm: torch allocates outside Python's tracemalloc."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.is_set():
            with open("/proc/self/statm") as fh:
                self.peak = max(self.peak, int(fh.read().split()[1]) * page)
            time.sleep(0.02)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def make_pairs(n: int, seed: int = 7) -> list[Item]:
    """Hypotheses are references with a seeded share of words dropped: realistic, distinct, non-trivial."""
    base = import_openai_chat(SOURCE, id_prefix="b")
    rng = random.Random(seed)
    items = []
    for i in range(n):
        row = base[i % len(base)]
        items.append(Item(id=f"x{i:05d}", prompt=f"{row.prompt} [{i // len(base)}]", reference=row.reference,
                          direction=row.direction))
    hyps = {}
    for item in items:
        words = item.reference.split()
        kept = [w for w in words if rng.random() > 0.3] or words[:1]
        hyps[item.id] = " ".join(kept)
    return items, hyps


def raw(items: list[Item], hyps: dict[str, str]) -> float:
    chrf = CHRF(word_order=2)
    h = [hyps[i.id] for i in items]
    r = [i.reference for i in items]
    stats = chrf._extract_corpus_statistics(h, [r])
    corpus = chrf._compute_score_from_stats(np.sum(stats, axis=0).tolist()).score
    model = load_embedder()
    a = model.encode(h, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    b = model.encode(r, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    cos = float(np.einsum("ij,ij->i", a, b).mean())
    return corpus + cos


BASE_METRICS = ["chrf++", "embedding_cosine"]
LANGUAGE_METRICS = ["chrf_folded", "chrf++_folded", "diacritic_error_rate", "diacritic_error_share", "invented_words"]


def harness(items: list[Item], hyps: dict[str, str], workdir: Path, k: int, *, language: bool = False) -> float:
    tag = f"{'lang' if language else 'base'}{k}"
    meta = SuiteMeta(name=f"bench{tag}", version="1", kind="dictionary_qa", description="benchmark", license="-",
                     provenance=Provenance(source="benchmarks/replay_10k.py"),
                     governance=Governance(allowed_uses=["evaluation"]),
                     language="sto" if language else "",
                     extraction=ExtractionSpec(method="quoted", language_only=True) if language else None)
    suite = make_suite(meta, items)
    replies = workdir / f"replies{tag}.jsonl"
    with replies.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps({"id": item.id, "reply": hyps[item.id]}, ensure_ascii=False) + "\n")
    manifest = workdir / f"bench{tag}.toml"
    manifest.write_text(f'name = "bench{tag}"\nbackend = "replay"\nmodel = "recorded"\nreplies = "{replies.name}"\n')
    enabled = BASE_METRICS + (LANGUAGE_METRICS if language else [])
    config = Config(metrics=MetricsConfig(enabled=enabled, required=["chrf++"], on_extracted=enabled[:1] + enabled[2:]),
                    languages={"sto": LanguageSettings(lexicon=str(SOURCE))} if language else {})
    result = Runner(config, Store(workdir / f"bench{tag}.duckdb")).run(load_checkpoint(manifest), suite)
    assert result.status == "complete" and result.n_items == len(items)
    if language:
        assert all(result.metrics[m]["n_scored"] > 0 for m in LANGUAGE_METRICS), result.metrics
    return result.metrics["chrf++"]["corpus_score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    items, hyps = make_pairs(args.items)
    load_embedder()  # loaded once, outside both timings
    raw_times, harness_times, language_times = [], [], []
    with tempfile.TemporaryDirectory() as tmp, PeakRSS() as mem:
        peaks = {}
        for k in range(args.repeat):
            t0 = time.perf_counter(); raw(items, hyps); raw_times.append(time.perf_counter() - t0)
            peaks["raw"] = mem.peak
            t0 = time.perf_counter(); harness(items, hyps, Path(tmp), k); harness_times.append(time.perf_counter() - t0)
            peaks["harness"] = mem.peak
            t0 = time.perf_counter(); harness(items, hyps, Path(tmp), k, language=True)
            language_times.append(time.perf_counter() - t0)
    best_raw, best_harness, best_language = min(raw_times), min(harness_times), min(language_times)
    print(json.dumps({
        "items": args.items, "raw_s": round(best_raw, 2), "harness_s": round(best_harness, 2),
        "ratio": round(best_harness / best_raw, 3), "goal": "<= 1.10",
        "harness_with_language_metrics_s": round(best_language, 2),
        "language_ratio": round(best_language / best_harness, 3), "language_goal": "<= 1.10",
        "language_times": [round(t, 2) for t in language_times],
        "raw_times": [round(t, 2) for t in raw_times], "harness_times": [round(t, 2) for t in harness_times],
        "peak_rss_mb_after_raw": round(peaks["raw"] / 2**20), "peak_rss_mb_after_harness": round(peaks["harness"] / 2**20),
        "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
