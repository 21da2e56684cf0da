"""When is a request stalled? Far slower than the replies this provider has been giving.

A stalled request (a server that accepted it and never answers) holds a concurrency slot until the
client's timeout — 60 s by default — while the replies around it take a fraction of a second. After a
few 429s have halved the concurrency, two or three such requests can leave nothing else in flight: the
run idles. So each provider session learns the latency of its recent successful attempts, and an
attempt still waiting after `factor` × their 95th percentile (never less than `min_s`) is abandoned and
sent again. Before that, at twice the p95, a slow attempt stops counting against the adaptive concurrency
cap (it still counts against the configured maximum), so it does not keep others from being sent. An item
is cut this way once: its next attempt waits the full timeout, so a request that is
merely slow (a long generation) still finishes — it costs one extra request at most.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class StallDetector:
    def __init__(self, *, factor: float, min_s: float, window: int = 50, min_samples: int = 10) -> None:
        self.factor = factor
        self.min_s = min_s
        self.min_samples = min_samples
        self._latencies: deque[float] = deque(maxlen=window)

    def observe(self, latency_s: float) -> None:
        """Record the latency of an attempt that got its answer."""
        self._latencies.append(latency_s)

    def p95(self) -> float | None:
        if len(self._latencies) < self.min_samples:
            return None
        return float(np.quantile(np.fromiter(self._latencies, float), 0.95))

    def slow(self) -> float | None:
        """Seconds after which an attempt is slow (twice the recent p95): it stops holding a place under the
        concurrency cap. None while off or still learning."""
        if self.factor <= 0:
            return None
        p95 = self.p95()
        return None if p95 is None else 2 * p95

    def threshold(self) -> float | None:
        """Seconds after which an attempt counts as stalled; None while off or still learning."""
        if self.factor <= 0:
            return None
        p95 = self.p95()
        return None if p95 is None else max(self.min_s, self.factor * p95)
