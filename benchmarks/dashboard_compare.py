"""How fast the Compare page opens over 1,000,000 item scores (goal: first render ≤ 2 s).

Builds a store with 2 runs × 50,000 items × 10 metrics = 1,000,000 item-score rows (plus the suite items,
run items and generations they join to), inserted in bulk through Arrow, then times:

* the Compare queries alone (pairing runs, the outcome counts, the first page of 50 rows, sorted by change),
  and a deep page and a filtered view;
* the first render of the Compare page through Streamlit's AppTest, with empty caches.

Run:  PYTHONPATH=$PWD python benchmarks/dashboard_compare.py [--items 50000] [--metrics 10] [--keep DIR]
Prints a Markdown table (copied into docs/dashboard.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalharness.community import compare  # noqa: E402
from evalharness.store import Store  # noqa: E402

METRICS = ["chrf", "chrf++", "bits_per_char", "token_perplexity", "embedding_cosine", "exact_match",
           "word_accuracy", "edit_similarity", "cas", "length_ratio"]
WORDS = ["îjadaṯẖe", "rhumnâ", "hûji ethen", "nâkadach", "îjiktûtha", "wachîniyâch", "mâbawîda", "îstaore"]
TAGS = ["noun", "verb", "phrase", "numeral", "grammar", "story"]
DIRECTIONS = ["en-sto", "sto-en", "explain"]


def build(db: Path | str, n_items: int, n_metrics: int, seed: int = 7) -> dict[str, float]:
    """Fill a fresh store (a file or a postgresql:// URL); returns how long each part took."""
    rng = np.random.default_rng(seed)
    store = Store(db)
    metrics = METRICS[:n_metrics]
    suite_hash, runs = "bench-suite-" + "0" * 52, ["run-bench-champ", "run-bench-cand"]
    idents = ["ident-champion", "ident-candidate"]
    ids = [f"it-{i:06d}" for i in range(n_items)]
    timings = {}
    t = time.perf_counter()
    with store.transaction() as con:
        con.execute("INSERT INTO suites (suite_hash, name, version, kind, meta_json, n_items) VALUES "
                    "(?, 'bench-suite', '1.0.0', 'dictionary_qa', ?, ?)",
                    [suite_hash, '{"name": "bench-suite", "governance": {"allowed_uses": ["evaluation"]}, '
                                 '"provenance": {"source": "synthetic benchmark"}}', n_items])
        word = [WORDS[i % len(WORDS)] for i in range(n_items)]
        con.insert("suite_items", pa.table({
            "suite_hash": [suite_hash] * n_items, "item_id": ids,
            "prompt": [f"What does '{w}' mean? (#{i})" for i, w in enumerate(word)],
            "reference": [f"'{w}' is a Stoney word (#{i})." for i, w in enumerate(word)],
            "system": pa.nulls(n_items, pa.string()),
            "direction": [DIRECTIONS[i % 3] for i in range(n_items)],
            "tags": [[TAGS[i % len(TAGS)], TAGS[(i // 7) % len(TAGS)]] for i in range(n_items)],
            "disallowed": pa.nulls(n_items, pa.string()), "narrative": pa.nulls(n_items, pa.string()),
            "position": np.arange(n_items, dtype=np.int32)}))
        for run_id, ident, name in zip(runs, idents, ["bench-champion", "bench-candidate"]):
            con.execute("INSERT INTO runs (run_id, checkpoint_name, checkpoint_identity, settings_hash, suite_name, "
                        "suite_hash, suite_version, status, code_version, config_json, n_items, n_ok, n_failed) "
                        "VALUES (?, ?, ?, 's', 'bench-suite', ?, '1.0.0', 'complete', 'bench', '{}', ?, ?, 0)",
                        [run_id, name, ident, suite_hash, n_items, n_items])
            keys = [f"{run_id}-{i}" for i in range(n_items)]
            con.insert("generations", pa.table({"cache_key": keys, "checkpoint_identity": [ident] * n_items,
                                               "settings_hash": ["s"] * n_items,
                                               "text": [f"answer {i} from {name}: {word[i]}" for i in range(n_items)]}))
            con.insert("run_items", pa.table({"run_id": [run_id] * n_items, "item_id": ids, "cache_key": keys,
                                              "status": ["ok"] * n_items}))
            for m in metrics:
                con.execute("INSERT INTO run_metrics (run_id, metric, signature, higher_is_better, stat_names, "
                            "corpus_score, n_scored, n_unscored, status) VALUES (?, ?, 'bench', true, "
                            "ARRAY['sum', 'n'], 50.0, ?, 0, 'scored')", [run_id, m, n_items])
        con.execute("INSERT INTO champions (seq, checkpoint_name, checkpoint_identity, set_by, reason) "
                    "VALUES (1, 'bench-champion', 'ident-champion', 'bench', 'benchmark')")
    timings["suite, runs, generations"] = time.perf_counter() - t
    t = time.perf_counter()
    n_rows = 0
    for run_id in runs:
        for m in metrics:
            scores = rng.uniform(0, 100, n_items)
            stats = pa.ListArray.from_arrays(np.arange(0, 2 * n_items + 1, 2, dtype=np.int32),
                                             np.column_stack([scores, np.ones(n_items)]).ravel())
            table = pa.table({"run_id": [run_id] * n_items, "item_id": ids, "metric": [m] * n_items,
                              "status": ["scored"] * n_items, "reason": pa.nulls(n_items, pa.string()),
                              "stats": stats, "score": scores})
            with store.transaction() as con:
                con.insert("item_scores", table)
            n_rows += n_items
    timings["item_scores insert"] = time.perf_counter() - t
    timings["item_score rows"] = n_rows
    return timings


def time_queries(db: Path | str, repeats: int = 5) -> dict[str, list[float]]:
    store = Store(db)
    out: dict[str, list[float]] = {k: [] for k in ("pair runs", "counts", "first page (50 rows)",
                                                   "page 500 (offset 24,950)", "tag + direction filter, first page",
                                                   "all Compare queries together")}
    for _ in range(repeats):
        t0 = time.perf_counter()
        t = time.perf_counter()
        pairs = compare.run_pairs(store, "ident-candidate", "ident-champion")
        out["pair runs"].append(time.perf_counter() - t)
        filters = compare.CompareFilters(metric="chrf++")
        t = time.perf_counter()
        summary = compare.summary(store, pairs, filters, True)
        out["counts"].append(time.perf_counter() - t)
        t = time.perf_counter()
        rows = compare.page(store, pairs, filters, True, limit=50)
        out["first page (50 rows)"].append(time.perf_counter() - t)
        out["all Compare queries together"].append(time.perf_counter() - t0)
        assert len(rows) == 50 and summary.n_items > 0 and list(rows["change"]) == sorted(rows["change"])
        t = time.perf_counter()
        compare.page(store, pairs, filters, True, limit=50, offset=24_950)
        out["page 500 (offset 24,950)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        compare.page(store, pairs, compare.CompareFilters(metric="chrf++", tag="story", direction="explain"), True,
                     limit=50)
        out["tag + direction filter, first page"].append(time.perf_counter() - t)
    return out


def time_apptest(db: Path | str) -> dict[str, float]:
    """First render of Compare with empty caches (the app is loaded on Overview first, as a visitor would)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["EVALHARNESS_DB"] = str(db)
    os.environ["EVALHARNESS_CONFIG"] = ""
    result = {}
    for label in ("cold process", "warm process"):
        st.cache_data.clear()
        t = time.perf_counter()
        at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=120).run()
        opened = time.perf_counter() - t
        t = time.perf_counter()
        from streamlit.util import calc_hash

        at._page_hash = calc_hash("compare")  # the page at /compare (pages are functions app.py registers)
        at.run()
        render = time.perf_counter() - t
        assert not at.exception, at.exception
        table = at.dataframe[0].value
        assert len(table) == 50 and list(table["change"]) == sorted(table["change"])
        result[f"app start + Overview ({label})"] = opened
        result[f"Compare first render ({label})"] = render
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--metrics", type=int, default=10, choices=range(1, len(METRICS) + 1))
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "bench.duckdb"
    if db.exists():
        db.unlink()
    built = build(db, args.items, args.metrics)
    queries = time_queries(db)
    render = time_apptest(db)
    print(f"\nstore: {db} ({db.stat().st_size / 1e6:.0f} MB), {int(built['item_score rows']):,} item-score rows "
          f"(2 runs × {args.items:,} items × {args.metrics} metrics); CPU cores: {os.cpu_count()}")
    print(f"build: suite/runs/generations {built['suite, runs, generations']:.1f} s, "
          f"item scores {built['item_scores insert']:.1f} s\n")
    print("| what | seconds |")
    print("|---|---|")
    for name, values in queries.items():
        print(f"| query: {name} (first / median of {len(values)}) | {values[0]:.3f} / {statistics.median(values):.3f} |")
    for name, value in render.items():
        print(f"| AppTest: {name} | {value:.2f} |")
    worst = max(v for k, v in render.items() if k.startswith("Compare"))
    print(f"\nCompare first render: {worst:.2f} s (goal ≤ 2 s: {'met' if worst <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
