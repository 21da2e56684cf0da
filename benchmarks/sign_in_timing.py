"""Failed sign-ins: how long each kind takes, and how many parallel guesses get a password check.

    python benchmarks/sign_in_timing.py [--trials 15] [--parallel 40]

Three kinds of failure must not be told apart by their timing: an unknown name, a known name with a wrong
password, and a locked name. The script times `accounts.sign_in` for each (fresh store, scrypt as configured)
and prints median and range per kind and the spread between the kinds' medians. Then it sends `--parallel`
wrong guesses at once and counts how many reached a password check (scrypt against the account's hash).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from evalharness.community import accounts
from evalharness.config import DashboardConfig
from evalharness.store import Store

PASSWORD = "îyethka wîcha broom 7"


def _time(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def timings(trials: int) -> dict[str, list[float]]:
    store = Store(Path(tempfile.mkdtemp()) / "timing.duckdb")
    accounts.add_reviewer(store, "Known Person", "reviewer", PASSWORD)
    accounts.add_reviewer(store, "Locked Person", "reviewer", PASSWORD)
    settings = DashboardConfig(max_failed_attempts=3, lockout_seconds=3600, lockout_max_seconds=3600,
                               **({"source_max_attempts": 100_000} if "source_max_attempts" in
                                  DashboardConfig.model_fields else {}))
    for _ in range(3):
        accounts.sign_in(store, "Locked Person", "wrong password!", settings)
    cases = {
        "unknown name": lambda: accounts.sign_in(store, "Nobody Here", "wrong password!", settings),
        "wrong password": lambda: accounts.sign_in(store, "Known Person", "wrong password!", settings),
        "locked name": lambda: accounts.sign_in(store, "Locked Person", PASSWORD, settings),
    }
    out: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(trials):  # interleaved, so machine load hits every kind alike
        for name, fn in cases.items():
            out[name].append(_time(fn))
        # keep "Known Person" below the lock so every trial is a plain wrong password
        for statement in ("DELETE FROM sign_in_failures WHERE name_key = 'known person'",  # per-source counts
                          "UPDATE reviewers SET failed_attempts = 0 WHERE name = 'Known Person'"):  # before them
            try:
                with store.transaction() as con:
                    con.execute(statement)
            except Exception:  # the table of the other scheme is not there
                pass
    return out


def parallel_checks(n: int) -> int:
    store = Store(Path(tempfile.mkdtemp()) / "parallel.duckdb")
    accounts.add_reviewer(store, "Elder Admin", "admin", PASSWORD)
    settings = DashboardConfig(max_failed_attempts=5)
    checked = []
    real = accounts.verify_password

    def spy(password, stored=None):
        if stored is not None:
            checked.append(1)
        return real(password, stored)

    accounts.verify_password = spy
    barrier = threading.Barrier(n)

    def guess(i: int) -> None:
        barrier.wait()
        accounts.sign_in(store, "Elder Admin", f"guess number {i}", settings)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accounts.verify_password = real
    return len(checked)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=15)
    parser.add_argument("--parallel", type=int, default=40)
    args = parser.parse_args()
    result = timings(args.trials)
    medians = {}
    for name, values in result.items():
        medians[name] = statistics.median(values)
        print(f"{name:15s} median {1000 * medians[name]:7.1f} ms   range {1000 * min(values):7.1f}–"
              f"{1000 * max(values):7.1f} ms   (n={len(values)})")
    print(f"spread between the kinds' medians: {1000 * (max(medians.values()) - min(medians.values())):.1f} ms")
    print(f"{args.parallel} parallel wrong guesses → {parallel_checks(args.parallel)} password checks "
          f"(max_failed_attempts = 5)")


if __name__ == "__main__":
    main()
