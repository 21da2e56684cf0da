"""The gate: advance or revert a checkpoint against the champion, on paired statistics, for CI.

`pipeline.run_gate` is the whole thing as a library call; `compare.compare_runs` and `decide.decide` are
its two halves (statistics, then policy); `records` holds the decisions and champion history SQL.
"""

from ..store.gate import champion_history, current_champion, list_decisions, set_champion
from .compare import Comparison, compare_runs
from .decide import Decision, decide
from .pipeline import rounds_exit_code, run_gate, run_rounds
from .report import GateResult, short_verdict, to_json, to_markdown

__all__ = [
    "Comparison",
    "Decision",
    "GateResult",
    "champion_history",
    "compare_runs",
    "current_champion",
    "decide",
    "list_decisions",
    "rounds_exit_code",
    "run_gate",
    "run_rounds",
    "set_champion",
    "short_verdict",
    "to_json",
    "to_markdown",
]
