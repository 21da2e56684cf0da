"""A second process that keeps writing runs into a store until told to stop (or a time limit passes).

Run as `python writer_proc.py DB ROOT STOP_FILE MAX_SECONDS`. Prints one JSON line when it starts writing
and one with the run ids it finished, so the test can count that nothing was lost on either side.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evalharness.runner import Runner  # noqa: E402
from evalharness.store import Store  # noqa: E402
from tests.dashboard import demo_db  # noqa: E402


def main() -> None:
    db, root, stop_file, max_seconds = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
    store = Store(db)
    dictionary, _ = demo_db.suites(root)
    runner = Runner(demo_db.config(), store)
    deadline = time.monotonic() + max_seconds
    finished: list[str] = []
    print(json.dumps({"started": True}), flush=True)
    i = 0
    while not stop_file.exists() and time.monotonic() < deadline and i < 500:
        # A new replies file each time: a new checkpoint identity, so every run writes new generations.
        ckpt = demo_db.checkpoint(root, "stoney-v2", [dictionary], variant=f" (writer {i})")
        result = runner.run(ckpt, dictionary)
        finished.append(result.run_id)
        i += 1
    print(json.dumps({"finished": finished}), flush=True)


if __name__ == "__main__":
    main()
