"""Data-use permissions, enforced before anything leaves the machine or becomes training data.

A suite's `suite.toml` lists its allowed uses (default-deny). Running it at all needs `evaluation`;
sending it to an external model needs `external_generation`; to an external judge, `external_judging`;
writing it out as training data needs `training`; putting its items or the replies to them anywhere
public needs `publication`. The check happens before the first request or the first byte written, so a
refusal sends and writes nothing.

The suite's current `suite.toml` is the only source of truth. The store keeps a copy (refreshed on every
load) for pages and reports; whatever derives new data from stored items — exports, publications — reads
the source suites' `suite.toml` again through `current()`, and treats a suite whose file cannot be read as
allowing nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import EvalHarnessError, GovernanceError
from .store import Store
from .store import governance as sql
from .suites import ALL_USES, Governance, Suite, load_meta


def require(suite: Suite, use: str, *, purpose: str) -> None:
    """Raise GovernanceError unless the suite allows `use`. `purpose` names what wanted it (for the message)."""
    if suite.meta.governance.allows(use):
        return
    where = f"{suite.path}/suite.toml" if suite.path else f"suite '{suite.name}'"
    allowed = ", ".join(suite.meta.governance.allowed_uses) or "nothing"
    raise GovernanceError(
        f"suite '{suite.name}' does not allow '{use}' (needed for {purpose}); it allows: {allowed}. "
        f'Nothing was sent or written. If the community that owns this data approves it, add "{use}" to '
        f"[governance] allowed_uses in {where}."
    )


@dataclass(frozen=True)
class SourceGovernance:
    """A stored suite version's governance as its suite.toml says *now*.

    `problem` is set when the file could not be read; `governance` then allows nothing (default-deny).
    """

    suite_hash: str
    name: str
    version: str
    governance: Governance
    suite_toml: Path | None
    problem: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


def _candidates(name: str, suite_dir: str | None, search_dirs: Sequence[Path]) -> list[Path]:
    found = [Path(suite_dir) / "suite.toml"] if suite_dir else []
    found += [Path(d) / name / "suite.toml" for d in search_dirs]
    return found


def current(store: Store, hashes: Iterable[str | None], *, search_dirs: Sequence[Path] = ()) -> list[SourceGovernance]:
    """The current governance of each stored suite version in `hashes` (None or unknown hashes included, as
    suites allowing nothing). Reads each suite.toml where the store last saw it (or `<search dir>/<name>/`),
    and refreshes the store's copy when the file changed."""
    wanted = list(dict.fromkeys(hashes))
    rows = {r.suite_hash: r for r in sql.suite_rows(store, [h for h in wanted if h])}
    out: list[SourceGovernance] = []
    for suite_hash in wanted:
        row = rows.get(suite_hash) if suite_hash else None
        if row is None:
            out.append(
                SourceGovernance(
                    suite_hash or "", "unknown suite", "?", Governance(), None, "the source suite is not in the store"
                )
            )
        else:
            out.append(_read(store, row, search_dirs))
    return out


def _read(store: Store, row: sql.SuiteRow, search_dirs: Sequence[Path]) -> SourceGovernance:
    problem = f"no suite.toml of '{row.name}' could be read (last seen in {row.suite_dir or 'an unknown folder'})"
    for path in _candidates(row.name, row.suite_dir, search_dirs):
        if not path.is_file():
            continue
        try:
            meta = load_meta(path)
        except EvalHarnessError as exc:
            problem = f"{path} cannot be read: {exc}"
            break
        if meta.name != row.name:
            problem = f"{path} now names the suite '{meta.name}', not '{row.name}'"
            continue
        fresh = meta.governance.model_dump(mode="json")
        if fresh != row.meta.get("governance") or row.suite_dir is None:
            sql.update_governance(store, name=row.name, suite_dir=str(path.parent.resolve()), governance=fresh)
        return SourceGovernance(row.suite_hash, row.name, row.version, meta.governance, path)
    return SourceGovernance(row.suite_hash, row.name, row.version, Governance(), None, problem)


def require_sources(sources: Sequence[SourceGovernance], use: str, *, purpose: str) -> None:
    """Raise GovernanceError naming every source suite that does not allow `use` (or cannot be read)."""
    refused = [s for s in sources if not s.governance.allows(use)]
    if not refused:
        return
    lines = []
    for s in refused:
        why = s.problem or ("it allows: " + (", ".join(s.governance.allowed_uses) or "nothing"))
        where = f' (add "{use}" to [governance] allowed_uses in {s.suite_toml})' if s.suite_toml else ""
        lines.append(f"'{s.label}': {why}{where}")
    raise GovernanceError(
        f"{purpose} needs '{use}' from every suite the data comes from, and {len(refused)} of {len(sources)} "
        f"do not allow it: " + "; ".join(lines) + ". Nothing was written. Only the community that owns a suite "
        "can change its allowed uses."
    )


def intersect(governances: Sequence[Governance]) -> list[str]:
    """The uses every one of `governances` allows (none for an empty list), in the canonical order."""
    if not governances:
        return []
    return [u for u in ALL_USES if all(g.allows(u) for g in governances)]


def widens(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """The uses in `after` that `before` did not allow."""
    return [u for u in after if u not in before]
