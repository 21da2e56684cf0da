"""Start-up time of commands that need no model, against the bare interpreter.

    python benchmarks/cli_startup.py [--repeat 15]

Each command runs in a fresh process; the median wall time of `--repeat` runs is compared with the median of
`python -c pass` measured in the same loop (interleaved, so a busy machine slows both alike). Reported: each
median and its ratio to the bare interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "evalharness --help": [sys.executable, "-m", "evalharness", "--help"],
    "evalharness run --help": [sys.executable, "-m", "evalharness", "run", "--help"],
    "evalharness runs list": [sys.executable, "-m", "evalharness", "runs", "list"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as tmp:
        env_db = {"EVALHARNESS_DB": str(Path(tmp) / "empty.duckdb")}
        for _ in range(args.repeat):
            for name, command in COMMANDS.items():
                started = time.perf_counter()
                subprocess.run(command, cwd=tmp, capture_output=True, check=True,
                               env={**os.environ, **env_db})
                times[name].append(time.perf_counter() - started)
    bare = statistics.median(times["python -c pass"])
    report = {name: {"median_s": round(statistics.median(t), 3),
                     "ratio_to_bare_python": round(statistics.median(t) / bare, 1)} for name, t in times.items()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
