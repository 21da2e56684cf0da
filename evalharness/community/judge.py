"""The judge's verdicts as reviewers see them: rationale, grades, flags and stability per answer.

The reads live in `store.judging` (tables of migration 0003).
"""

from __future__ import annotations

from ..store.judging import judged_runs, rationale_rows

__all__ = ["judged_runs", "rationale_rows"]
