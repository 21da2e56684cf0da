"""The two stores side by side, in one run: PostgreSQL against the DuckDB file.

    PYTHONPATH=$PWD python benchmarks/store_engines.py [--items 10000] [--repeat 2] [--compare-items 50000]
                                                       [--pg postgresql://…]

1. A 10,000-item replay run (`Runner.run`: suite, cache and run-item writes, chrF++ and exact match, item
   scores, run metrics) into a fresh DuckDB file and into a fresh PostgreSQL schema, alternating, best of
   `--repeat` each. Goal: PostgreSQL ≤ 1.5 × the file. Scoring is kept cheap (no embedder) so the store's share
   of the time shows.
2. The dashboard's Compare page over 1,000,000 item-score rows (2 runs × 50,000 items × 10 metrics, built as in
   benchmarks/dashboard_compare.py), copied into PostgreSQL with `store copy`: the Compare queries, and the
   first render through Streamlit's AppTest in a fresh process for each store. Goal: ≤ 2 s on each.

Without --pg a throwaway PostgreSQL cluster is started (Debian's postgresql; evalharness/testing/postgres.py),
with its default durability settings (fsync on), and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from evalharness.checkpoints import load_checkpoint  # noqa: E402
from evalharness.config import Config, MetricsConfig  # noqa: E402
from evalharness.runner import Runner  # noqa: E402
from evalharness.store import Store, maintenance  # noqa: E402
from evalharness.suites import Governance, Provenance, SuiteMeta, make_suite  # noqa: E402
from evalharness.testing.postgres import Cluster, drop_schema, new_schema  # noqa: E402


def replay_run(location: str, items, hyps, workdir: Path, k: int) -> float:
    meta = SuiteMeta(name=f"bench{k}", version="1", kind="dictionary_qa", description="benchmark", license="-",
                     provenance=Provenance(source="benchmarks/store_engines.py"),
                     governance=Governance(allowed_uses=["evaluation"]))
    suite = make_suite(meta, items)
    replies = workdir / f"replies{k}.jsonl"
    with replies.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps({"id": item.id, "reply": hyps[item.id]}, ensure_ascii=False) + "\n")
    manifest = workdir / f"bench{k}.toml"
    manifest.write_text(f'name = "bench{k}"\nbackend = "replay"\nmodel = "recorded"\nreplies = "{replies.name}"\n')
    config = Config(metrics=MetricsConfig(enabled=["chrf++", "exact_match"], required=["chrf++"]))
    t = time.perf_counter()
    result = Runner(config, Store(location)).run(load_checkpoint(manifest), suite)
    elapsed = time.perf_counter() - t
    assert result.status == "complete" and result.n_items == len(items)
    return elapsed


def render(location: str) -> dict[str, float]:
    """Compare queries and the AppTest first render, in this (fresh) process."""
    import dashboard_compare

    queries = dashboard_compare.time_queries(location, repeats=3)
    out = {f"query: {k} (first)": v[0] for k, v in queries.items()}
    out.update(dashboard_compare.time_apptest(location))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--compare-items", type=int, default=50_000)
    parser.add_argument("--pg", help="a PostgreSQL database to use (a schema of its own is made and dropped)")
    parser.add_argument("--render", help=argparse.SUPPRESS)  # internal: time the Compare page in this process
    args = parser.parse_args()
    if args.render:
        print(json.dumps(render(args.render)))
        return

    import dashboard_compare
    from replay_10k import make_pairs

    cluster = None
    base = args.pg
    if base is None:
        cluster = Cluster()
        base = cluster.start(durable=True)
    schemas: list[str] = []
    report: dict[str, object] = {"cpus": os.cpu_count()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            # 1. the replay run
            items, hyps = make_pairs(args.items)
            times: dict[str, list[float]] = {"file": [], "postgresql": []}
            for k in range(args.repeat):
                times["file"].append(replay_run(str(work / f"run{k}.duckdb"), items, hyps, work, 2 * k))
                schema, url = new_schema(base)
                schemas.append(schema)
                times["postgresql"].append(replay_run(url, items, hyps, work, 2 * k + 1))
            best = {k: min(v) for k, v in times.items()}
            report["replay"] = {"items": args.items, "file_s": [round(t, 2) for t in times["file"]],
                                "postgresql_s": [round(t, 2) for t in times["postgresql"]],
                                "ratio_postgresql_to_file": round(best["postgresql"] / best["file"], 3),
                                "goal": "<= 1.5"}
            # 2. the Compare page over a million item scores
            db = work / "compare.duckdb"
            built = dashboard_compare.build(db, args.compare_items, 10)
            schema, url = new_schema(base)
            schemas.append(schema)
            t = time.perf_counter()
            copied = maintenance.copy_store(Store(db), Store(url))
            copy_s = time.perf_counter() - t
            renders = {}
            for label, location in (("file", str(db)), ("postgresql", url)):
                proc = subprocess.run([sys.executable, __file__, "--render", location], capture_output=True,
                                      text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=1800)
                if proc.returncode != 0:
                    raise SystemExit(proc.stderr[-3000:])
                renders[label] = json.loads(proc.stdout.strip().splitlines()[-1])
            first = {k: renders[k]["Compare first render (cold process)"] for k in renders}
            report["compare"] = {"item_score_rows": int(built["item_score rows"]),
                                 "store_copy_file_to_postgresql_s": round(copy_s, 1), "rows_copied": copied.rows,
                                 "first_render_s": {k: round(v, 2) for k, v in first.items()},
                                 "ratio_postgresql_to_file": round(first["postgresql"] / first["file"], 3),
                                 "goal": "first render <= 2 s",
                                 "details": {k: {n: round(v, 3) for n, v in d.items()} for k, d in renders.items()}}
    finally:
        for schema in schemas:
            drop_schema(base, schema)
        if cluster is not None:
            cluster.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
