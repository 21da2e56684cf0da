"""Monitor benchmark: how fast the drift alarm fires after a silent model switch, and how rarely it fires
when nothing changed — over many seeded simulations — plus what a check costs next to a full run.

Two paths, one set of numbers:

1. **Statistics path** (thousands of simulated series). Each check's answers come from the same simulated
   models the fake server serves (`evalharness.testing.simulated`), and its stream values are computed
   with the monitor's own functions (`compare.answer_changes`, the chrF++ metric's `score` on summed
   statistics, `sequential.alarm_path`) — exactly what `monitor check` computes, without HTTP or a store.
2. **End-to-end path** (fewer series). `run_check` for real: the openai SDK against the loopback fake
   server, DuckDB, alerts. For the same seeds it must give the same alarm check as path 1 (checked and
   printed), which is what lets path 1 stand for it at scale.

Scenarios (canary of 50 items from a synthetic 400-item held-out suite, α = 0.05, changed-answer tolerance
10 %, chrF++ drop tolerance 3 points, temperature 0 unless said):

- null, realistic nondeterminism: 2 % of answers vary per check; 200 checks, no change;
- null, 5 % and 8 % of answers varying per check (closer to the 10 % tolerance);
- null with bursts: 10 % of checks have 25 % of answers varying (correlated across items);
- the test alone at its boundary: stream values whose mean is exactly the tolerance (Binomial(50, 0.1) / 50),
  the null under which Ville's bound is tight;
- switch: another model from check k (k = 10, 50, 150); detection delay in checks;
- same-family switch: the new model writes 90 % of answers identically, log-probabilities differ;
  with and without log-probabilities, and with a canary of 10 using them;
- temperature > 0: only the score stream is watched; switch to a weaker model.

Run: PYTHONPATH=$PWD .venv/bin/python benchmarks/monitor_drift.py [--sims 1000] [--e2e-sims 10]
     [--e2e-null-runs 2] [--json out.json] [--only "switch at 150" ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evalharness.config import Config  # noqa: E402
from evalharness.metrics import ScoringInput, build_metric  # noqa: E402
from evalharness.monitor.canary import draw_canary  # noqa: E402
from evalharness.monitor.check import run_check  # noqa: E402
from evalharness.monitor.compare import ONE_OFF_LIMIT, Answer, answer_changes, established_answers  # noqa: E402
from evalharness.monitor.drift import stream_specs  # noqa: E402
from evalharness.monitor.registry import find_monitor  # noqa: E402
from evalharness.monitor.sequential import alarm_path  # noqa: E402
from evalharness.monitor.settings import MonitorConfig  # noqa: E402
from evalharness.runner import Runner  # noqa: E402
from evalharness.store import Store  # noqa: E402
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, load_suite, make_suite, save_suite  # noqa: E402
from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer, tokenize  # noqa: E402
from evalharness.testing.simulated import SimulatedModel, behaviour_for  # noqa: E402

LETTERS = "aâeiîoôuhknmtṯsyzgbw"
FT = "ft:gpt-4.1-mini-2025-04-14:stoney::bench"
CHECKS = 200


def synthetic_suite(n: int = 400) -> list[Item]:
    rng = random.Random(20261130)

    def word() -> str:
        return "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9)))

    items = []
    for k in range(n):
        direction = ("sto-en", "en-sto", "explain")[k % 3]
        head = word()
        prompt = f"What does the Stoney word '{head}' mean, and how is it used? ({k})"
        reference = f"'{head}' means " + " ".join(word() for _ in range(rng.randint(4, 14)))
        items.append(Item(id=f"syn-{k:04d}", prompt=prompt, reference=reference, direction=direction))
    return items


@dataclass(frozen=True)
class Scenario:
    name: str
    before: str                 # model family before the change
    after: str | None           # None: no change
    change_at: int | None       # first check served by `after`
    checks: int
    flip: float = 0.02
    burst_rate: float = 0.0
    burst_flip: float = 0.0
    deterministic: bool = True
    logprobs: bool = True
    canary: int = 50


def models(s: Scenario, sim: int) -> tuple[SimulatedModel, SimulatedModel | None]:
    a = SimulatedModel("A", seed=10_000 + sim, accuracy=0.6, flip_rate=s.flip, burst_rate=s.burst_rate,
                       burst_flip_rate=s.burst_flip)
    if s.after is None:
        return a, None
    if s.after == "other":
        return a, SimulatedModel("B", seed=20_000 + sim, accuracy=0.3, flip_rate=s.flip)
    if s.after == "family":
        return a, SimulatedModel("B'", seed=30_000 + sim, accuracy=0.6, flip_rate=s.flip, logprob_offset=-0.3,
                                 same_text_share=0.9, same_text_as=a)
    if s.after == "weaker":
        return a, SimulatedModel("W", seed=40_000 + sim, accuracy=0.3, flip_rate=s.flip)
    raise ValueError(s.after)


def monitor_config(s: Scenario) -> MonitorConfig:
    return MonitorConfig(name="bench", endpoint="bench", suites=["bench"], canary_size=s.canary,
                         metrics=["chrf++"], resamples=200,
                         logprobs="auto" if s.logprobs else "off")


class StatsPath:
    """Stream values of one simulated series, computed as `monitor check` computes them."""

    def __init__(self, items: list[Item]) -> None:
        self.metric = build_metric("chrf++")
        self.items = items
        self._stats: dict[tuple[str, str], np.ndarray] = {}
        self._logprobs: dict[tuple[str, float], tuple[float, int]] = {}

    def stats(self, answer: str, reference: str) -> np.ndarray:
        key = (answer, reference)
        if key not in self._stats:
            item = Item(id="x", prompt="x", reference=reference)
            [stat] = self.metric.item_stats([ScoringInput(item=item, hypothesis=answer)])
            self._stats[key] = np.asarray(stat.stats, dtype=float)
        return self._stats[key]

    def logprobs(self, model: SimulatedModel, text: str) -> tuple[float, int]:
        """Sum and count of the token log-probabilities the fake server returns for `text` (cached)."""
        key = (text, model.logprob_offset)
        if key not in self._logprobs:
            tokens = [t for t, _ in tokenize(text)]
            self._logprobs[key] = (sum(model.token_logprob(t) for t in tokens), len(tokens))
        return self._logprobs[key]

    def series(self, s: Scenario, sim: int, canary_items: Sequence[Item]) -> dict[str, list[float | None]]:
        """As `monitor check` computes them: the first check is the baseline; the established answers and
        score come from it and the next `reference_checks` checks; each check is compared with them."""
        a, b = models(s, sim)
        window = monitor_config(s).thresholds.reference_checks
        votes: list[dict[str, Answer]] = []
        vote_stats: list[dict[str, np.ndarray]] = []
        established_from = -1
        established: dict[str, Answer] = {}
        sources: dict[str, int] = {}
        scores: list[float] = []
        out: dict[str, list[float | None]] = {"changed": [], "score_drop": []}
        for check in range(1, s.checks + 1):
            model = b if (b is not None and s.change_at is not None and check >= s.change_at) else a
            answers = {}
            for item in canary_items:
                text = model.answer(item.prompt, item.reference, check)
                lp = None
                n = None
                if s.logprobs:
                    lp, n = self.logprobs(model, text)
                answers[item.id] = Answer(text, lp, n)
            stats = {i.id: self.stats(answers[i.id].text or "", i.reference) for i in canary_items}
            score = float(self.metric.score(np.sum(list(stats.values()), axis=0)))
            if not votes:  # the first check is the baseline
                votes, vote_stats, scores = [answers], [stats], [score]
            if len(votes) != established_from:  # the established answers change only while votes are added
                established, sources = established_answers(votes, ONE_OFF_LIMIT)
                established_from = len(votes)
            changes = answer_changes(answers, established, 0.05)
            out["changed"].append(changes.drift_share if s.deterministic else None)
            if s.deterministic:
                reference = float(self.metric.score(np.sum([vote_stats[v][k] for k, v in sources.items()], axis=0)))
            else:
                reference = float(np.mean(scores))
            out["score_drop"].append(reference - score)
            if 1 < check <= window + 1:
                votes.append(answers)
                vote_stats.append(stats)
                scores.append(score)
        return out

    def first_alarm(self, s: Scenario, sim: int, canary_items: Sequence[Item]) -> tuple[int | None, float]:
        """(1-based check of the first alarm or None, mean changed share before any change)."""
        series = self.series(s, sim, canary_items)
        specs = stream_specs(monitor_config(s), deterministic=s.deterministic)
        path = alarm_path({sp.name: series[sp.name] for sp in specs}, specs, 0.05)
        before = [v for v in series["changed"][1: (s.change_at or s.checks + 1) - 1] if v is not None]
        return (None if path.first_alarm is None else path.first_alarm + 1), (
            float(np.mean(before)) if before else float("nan"))


def summarise(s: Scenario, alarms: list[int | None], shares: list[float]) -> dict:
    n = len(alarms)
    out: dict = {"scenario": s.name, "sims": n, "checks": s.checks, "canary": s.canary,
                 "mean_changed_share_before": float(np.nanmean(shares)) if shares else None}
    if s.change_at is None:
        false = sum(a is not None for a in alarms)
        out.update(false_alarms=false, false_alarm_rate=false / n,
                   rate_95_upper=wilson_upper(false, n))
        return out
    early = sum(a is not None and a < s.change_at for a in alarms)
    delays = [a - s.change_at + 1 for a in alarms if a is not None and a >= s.change_at]
    missed = sum(a is None for a in alarms)
    out.update(change_at=s.change_at, false_alarms_before_change=early, missed_within_run=missed)
    if delays:
        out.update(delay_median=statistics.median(delays), delay_p90=float(np.percentile(delays, 90)),
                   delay_p99=float(np.percentile(delays, 99)), delay_max=max(delays),
                   delay_histogram={str(k): delays.count(k) for k in sorted(set(delays))})
    return out


def wilson_upper(k: int, n: int, z: float = 1.96) -> float:
    """Upper end of the Wilson 95 % interval of a rate k/n (how high the true rate may plausibly be)."""
    if n == 0:
        return float("nan")
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5)
    return (centre + spread) / (1 + z * z / n)


# -- end to end ---------------------------------------------------------------------------------------

def write_lab(root: Path, url: str, items: list[Item], s: Scenario) -> tuple[Config, dict[str, str]]:
    meta = SuiteMeta(name="bench", version="1.0.0", kind="dictionary_qa", description="synthetic held-out items",
                     license="synthetic", provenance=Provenance(source="benchmarks/monitor_drift.py"),
                     governance=Governance(allowed_uses=["evaluation", "external_generation"]))
    save_suite(make_suite(meta, items), root / "suites" / "bench")
    (root / "checkpoints").mkdir(parents=True, exist_ok=True)
    temperature = 0.0 if s.deterministic else 0.7
    (root / "checkpoints" / "bench.toml").write_text(
        f'name = "bench"\nbackend = "openai"\nmodel = "{FT}"\nbase_url = "{url}/v1"\n\n[generation]\n'
        f"temperature = {temperature}\n", encoding="utf-8")
    section = {"timeout_s": 30.0, "backoff_s": 0.01, "max_backoff_s": 0.05, "max_retries": 3,
               "prompt_per_1m": 0.8, "completion_per_1m": 3.2}
    config = Config.model_validate({
        "run": {"checkpoints_dir": str(root / "checkpoints"), "suites_dir": str(root / "suites"),
                "monitors_dir": str(root / "monitors"), "concurrency": 16},
        "metrics": {"enabled": ["chrf++"], "required": ["chrf++"]},
        "providers": {"openai": section},
        "keys": {"OPENAI_API_KEY": ["127.0.0.1"]},  # the key goes to the loopback fake only
        "monitors": {"bench": monitor_config(s).model_dump(exclude={"name"})}})
    return config, {i.prompt: i.reference for i in items}


def e2e_series(s: Scenario, sim: int, items: list[Item], workdir: Path) -> tuple[int | None, list[float]]:
    """Run the checks for real until the alarm (or the end); (1-based alarm check, seconds per check)."""
    a, b = models(s, sim)
    root = workdir / f"{s.name}-{sim}"
    times = []
    with FakeProviderServer(FakeBehaviour(models={FT: None, "gpt-4.1-mini-2025-04-14": None}),
                            keep_bodies=False) as fake:
        config, references = write_lab(root, fake.url, items, s)
        store = Store(root / "bench.duckdb")
        monitor = find_monitor(config, "bench")
        clock = datetime(2026, 12, 1, 6, 0)
        for check in range(1, s.checks + 1):
            model = b if (b is not None and s.change_at is not None and check >= s.change_at) else a
            behaviour_for(model, references, check, fake.behaviour)
            started = time.perf_counter()
            result = run_check(config, store, monitor, now=clock, env={})
            times.append(time.perf_counter() - started)
            clock += timedelta(days=1)
            if result.check.alarm:
                return check, times
    return None, times


def token_cost(items: list[Item], workdir: Path) -> dict:
    """One check vs one full run of the same endpoint on the same suite (fake tokenizer: whitespace words)."""
    s = Scenario("cost", "A", None, None, 1)
    a, _ = models(s, 0)
    root = workdir / "cost"
    with FakeProviderServer(FakeBehaviour(models={FT: None, "gpt-4.1-mini-2025-04-14": None}),
                            keep_bodies=False) as fake:
        config, references = write_lab(root, fake.url, items, s)
        behaviour_for(a, references, 1, fake.behaviour)
        store = Store(root / "bench.duckdb")
        from evalharness.checkpoints import find_checkpoint

        full = Runner(config, store).run(find_checkpoint("bench", root / "checkpoints"),
                                         load_suite(root / "suites" / "bench"))
        result = run_check(config, store, find_monitor(config, "bench"), env={})
    run = store.query("SELECT n_items, prompt_tokens, completion_tokens, cost_usd FROM runs WHERE run_id = ?",
                      [full.run_id])[0]
    c = result.check
    check_tokens = c.prompt_tokens + c.completion_tokens
    run_tokens = run[1] + run[2]
    return {"check_items": c.n_items, "check_tokens": check_tokens, "check_usd": c.cost_usd,
            "run_items": run[0], "run_tokens": run_tokens, "run_usd": run[3],
            "token_ratio": check_tokens / run_tokens, "full_run_source": result.full_run.source if result.full_run
            else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sims", type=int, default=1000, help="series per scenario on the statistics path")
    parser.add_argument("--e2e-sims", type=int, default=10, help="end-to-end series with a switch at check 20")
    parser.add_argument("--e2e-null-runs", type=int, default=2, help="end-to-end series of 200 checks, no change")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", action="append", default=[],
                        help="run only the scenarios whose name contains this text (repeatable); "
                             "the end-to-end part and the token cost still run")
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-loopback")
    items = synthetic_suite()
    suite = make_suite(SuiteMeta(name="bench", version="1.0.0", kind="dictionary_qa", description="", license="",
                                 provenance=Provenance(source="bench")), items)
    results: dict = {"alpha": 0.05, "changed_share_tolerance": 0.10, "score_drop_tolerance": 3.0, "scenarios": []}

    scenarios = [
        Scenario("null, 2% nondeterminism", "A", None, None, CHECKS),
        Scenario("null, 5% nondeterminism", "A", None, None, CHECKS, flip=0.05),
        Scenario("null, 8% nondeterminism", "A", None, None, CHECKS, flip=0.08),
        Scenario("null with bursts", "A", None, None, CHECKS, burst_rate=0.1, burst_flip=0.25),
        Scenario("switch at 10", "A", "other", 10, 40),
        Scenario("switch at 50", "A", "other", 50, 80),
        Scenario("switch at 150", "A", "other", 150, 180),
        Scenario("same family at 50, log-probabilities", "A", "family", 50, 90),
        Scenario("same family at 50, text only", "A", "family", 50, 200, logprobs=False),
        Scenario("same family at 50, log-probabilities, canary 10", "A", "family", 50, 90, canary=10),
        Scenario("temperature 0.7, weaker model at 50 (score stream only)", "A", "weaker", 50, 200, flip=0.5,
                 deterministic=False, logprobs=False),
    ]
    rng = np.random.default_rng(20261130)
    specs = stream_specs(monitor_config(scenarios[0]), deterministic=True)[:1]
    if args.only:
        scenarios = [s for s in scenarios if any(part in s.name for part in args.only)]
    boundary = [alarm_path({"changed": list(rng.binomial(50, 0.10, size=CHECKS) / 50)}, specs, 0.05).alarm
                for _ in range(args.sims)]
    row = {"scenario": "the betting test at its boundary (mean = tolerance)", "sims": args.sims, "checks": CHECKS,
           "false_alarms": sum(boundary), "false_alarm_rate": sum(boundary) / args.sims,
           "rate_95_upper": wilson_upper(sum(boundary), args.sims)}
    results["scenarios"].append(row)
    print(json.dumps(row), flush=True)
    path = StatsPath(items)
    for s in scenarios:
        canary_items = [c.item for c in draw_canary([suite], s.canary, 13).items]
        started = time.perf_counter()
        alarms, shares = [], []
        for sim in range(args.sims):
            alarm, share = path.first_alarm(s, sim, canary_items)
            alarms.append(alarm)
            shares.append(share)
        row = summarise(s, alarms, shares)
        row["seconds"] = round(time.perf_counter() - started, 1)
        results["scenarios"].append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        e2e = {"switch": [], "null": [], "agree": True, "seconds_per_check": []}
        s = Scenario("e2e switch at 20", "A", "other", 20, 40)
        canary_items = [c.item for c in draw_canary([suite], s.canary, 13).items]
        for sim in range(args.e2e_sims):
            got, times = e2e_series(s, sim, items, work)
            expected, _ = path.first_alarm(replace(s, checks=got or s.checks), sim, canary_items)
            e2e["switch"].append({"sim": sim, "alarm_check": got, "statistics_path": expected})
            e2e["agree"] &= got == expected
            e2e["seconds_per_check"] += times
            print(json.dumps(e2e["switch"][-1]), flush=True)
        s = Scenario("e2e null", "A", None, None, CHECKS)
        for sim in range(args.e2e_null_runs):
            got, times = e2e_series(s, sim, items, work)
            expected, _ = path.first_alarm(s, sim, canary_items)
            e2e["null"].append({"sim": sim, "alarm_check": got, "statistics_path": expected})
            e2e["agree"] &= got == expected
            e2e["seconds_per_check"] += times
            print(json.dumps(e2e["null"][-1]), flush=True)
        delays = [r["alarm_check"] - 20 + 1 for r in e2e["switch"] if r["alarm_check"]]
        e2e["switch_delay"] = {str(k): delays.count(k) for k in sorted(set(delays))}
        times = e2e.pop("seconds_per_check")
        e2e["seconds_per_check_median"] = statistics.median(times) if times else None
        results["end_to_end"] = e2e
        results["cost"] = token_cost(items, work)
    print(json.dumps({"end_to_end": results["end_to_end"], "cost": results["cost"]}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
