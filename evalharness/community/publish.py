"""Publish accepted corrections as the next version of the narrative-correction suite.

The new version holds every accepted correction (a correction rejected after an earlier publication
drops out) plus any items of the previous version that did not come from the corrections table (hand-made
ones are kept). Provenance credits every author and every admin who accepted, with dates; governance is
read from the suites the corrected items came from, as their suite.toml says now, and is never wider than
the previous version's — the community's permissions travel with its words, and a narrowing sticks.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import governance
from ..errors import InputError
from ..store import Store
from ..store import governance as gov_sql
from ..store import reviews as review_rows
from ..store.governance import suite_rows
from ..store.suites import record_suite
from ..suites import Governance, Provenance, Suite, SuiteMeta, load_suite, make_suite, save_suite
from .exports import accepted_items
from .reviews import Correction


@dataclass(frozen=True)
class PublishResult:
    suite: Suite
    path: Path
    previous_version: str | None
    changed: bool
    n_items: int
    n_added: int
    n_removed: int


def bump(version: str) -> str:
    """1.2.3 → 1.3.0: new items are a minor version (the suite grew; old scores stay comparable by hash)."""
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", version.strip())
    if not match:
        raise InputError(
            f"cannot bump version '{version}'", field="version", hint="give the new version explicitly (--version)"
        )
    return f"{match.group(1)}.{int(match.group(2)) + 1}.0"


def _source_governance(
    store: Store, hashes: set[str | None], search_dirs: Sequence[Path]
) -> tuple[Governance, str, list[str]]:
    """Governance and licence of the source suites *as their suite.toml says now*: only the uses all of them
    allow. A source whose suite.toml cannot be read allows nothing until someone decides."""
    sources = governance.current(store, sorted(hashes, key=lambda h: h or ""), search_dirs=search_dirs)
    labels = [s.label for s in sources if s.suite_toml is not None]
    problems = [s.problem for s in sources if s.problem]
    govs = [s.governance for s in sources]
    contacts = sorted({g.review_contact for g in govs if g.review_contact})
    if problems:
        notes = "Nothing allowed until the community decides: " + "; ".join(problems) + "."
    elif len(govs) == 1:
        notes = govs[0].notes
    else:
        notes = f"Only the uses every source suite allows ({', '.join(labels)})."
    combined = Governance(
        allowed_uses=governance.intersect(govs),
        contains_sensitive_content=any(g.contains_sensitive_content for g in govs) or not govs,
        review_contact=", ".join(contacts),
        notes=notes,
    )
    metas = {r.suite_hash: r.meta for r in suite_rows(store, [h for h in hashes if h])}
    licences = sorted({m.get("license", "") for m in metas.values() if m.get("license")})
    return combined, " / ".join(licences) or "unspecified", labels


def _never_wider(
    sources: Governance,
    previous: Suite | None,
    *,
    allow_widening: bool,
    actor: str,
    store: Store,
    out_dir: Path,
    name: str,
) -> Governance:
    """The new version allows what the sources allow AND what the previous version allowed, unless an admin
    passed `allow_widening` — which is written to the governance log with the uses before and after."""
    if previous is None:
        return sources
    before = list(previous.meta.governance.allowed_uses)
    if allow_widening:
        wider = governance.widens(before, sources.allowed_uses)
        if wider:
            gov_sql.log_change(
                store,
                suite_name=name,
                suite_dir=str(out_dir.resolve()),
                action="widen",
                actor=actor,
                before=before,
                after=list(sources.allowed_uses),
                detail="corrections publish --allow-widening: added " + ", ".join(wider),
            )
        return sources
    kept = governance.intersect([sources, previous.meta.governance])
    notes = sources.notes
    dropped = [u for u in sources.allowed_uses if u not in kept]
    if dropped:
        notes = (notes + " " if notes else "") + (
            f"Not allowed because the previous version did not allow it: {', '.join(dropped)} (an admin can widen "
            "with `evalharness corrections publish --allow-widening`)."
        )
    return sources.model_copy(
        update={
            "allowed_uses": kept,
            "notes": notes,
            "contains_sensitive_content": sources.contains_sensitive_content
            or previous.meta.governance.contains_sensitive_content,
        }
    )


def _credits(corrections: list[Correction], published_by: str, published_at: datetime) -> tuple[list[str], str]:
    wrote: dict[str, list[datetime]] = defaultdict(list)
    accepted: dict[str, list[datetime]] = defaultdict(list)
    for c in corrections:
        wrote[c.author].append(c.created_at)
        if c.reviewed_by and c.reviewed_at:
            accepted[c.reviewed_by].append(c.reviewed_at)

    def span(dates: list[datetime]) -> str:
        first, last = min(dates).date().isoformat(), max(dates).date().isoformat()
        return first if first == last else f"{first} to {last}"

    lines = [f"{name} wrote {len(d)} correction(s), {span(d)}" for name, d in sorted(wrote.items())]
    lines += [f"{name} accepted {len(d)} correction(s), {span(d)}" for name, d in sorted(accepted.items())]
    lines.append(f"published by {published_by} on {published_at.date().isoformat()}")
    return sorted(set(wrote) | set(accepted)), "; ".join(lines) + "."


def publish_corrections(
    store: Store,
    out_dir: str | Path,
    *,
    name: str,
    published_by: str,
    version: str | None = None,
    search_dirs: Sequence[Path] = (),
    allow_widening: bool = False,
) -> PublishResult:
    """Write the next suite version to `out_dir` (suite.toml + items.jsonl) and record it in the store.

    Governance: what every source suite's suite.toml allows now, AND what the previous version allowed —
    never wider, unless `allow_widening` (logged). `search_dirs`: where to look for a source suite's folder
    (`<dir>/<name>/suite.toml`) when the store does not know it.
    """
    out_dir = Path(out_dir)
    pairs = accepted_items(store)
    if not pairs:
        raise InputError(
            "there are no accepted corrections to publish yet",
            hint="an admin accepts corrections on the dashboard's Corrections page",
        )
    previous = load_suite(out_dir) if (out_dir / "suite.toml").is_file() else None
    if previous is not None and previous.meta.kind != "narrative_correction":
        raise InputError(
            f"{out_dir} holds a {previous.meta.kind} suite, not a narrative-correction suite",
            path=out_dir / "suite.toml",
            field="kind",
            hint="publish to another folder",
        )
    all_ids = review_rows.correction_ids(store)
    kept = [i for i in (previous.items if previous else ()) if i.id not in all_ids]
    new_items = kept + [item for _, item in pairs]
    before = {i.id for i in previous.items} if previous else set()
    after = {i.id for i in new_items}
    corrections = [c for c, _ in pairs]
    sources_gov, licence, sources = _source_governance(store, {c.suite_hash for c in corrections}, search_dirs)
    final = _never_wider(
        sources_gov,
        previous,
        allow_widening=allow_widening,
        actor=published_by,
        store=store,
        out_dir=out_dir,
        name=name,
    )
    if previous is not None and tuple(new_items) == previous.items:
        if final.allowed_uses != previous.meta.governance.allowed_uses:
            # Same items, but a source narrowed (or an admin widened): the permissions still change now.
            suite = make_suite(previous.meta.model_copy(update={"governance": final}), previous.items, path=out_dir)
            save_suite(suite, out_dir)
            record_suite(store, suite, out_dir)
            return PublishResult(suite, out_dir, previous.meta.version, True, len(new_items), 0, 0)
        return PublishResult(previous, out_dir, previous.meta.version, False, len(new_items), 0, 0)
    new_version = version or (bump(previous.meta.version) if previous else "1.0.0")
    if previous is not None and new_version == previous.meta.version:
        raise InputError(
            f"version {new_version} is already published in {out_dir}", field="version", hint="give a new version"
        )
    published_at = review_rows.now(store)
    reviewers, notes = _credits(corrections, published_by, published_at)
    meta = SuiteMeta(
        name=name,
        version=new_version,
        kind="narrative_correction",
        description=(
            "Narrative corrections written by Stoney community reviewers: each item is a question, the "
            "model's flawed answer (disallowed) and the right answer with its story or context."
        ),
        license=licence,
        provenance=Provenance(
            source="community reviewers' corrections in the evalharness dashboard",
            derived_by="evalharness corrections publish",
            authored_by=", ".join(sorted({c.author for c in corrections})),
            notes=notes + (f" Corrected items come from: {', '.join(sources)}." if sources else ""),
            reviewers=reviewers,
        ),
        governance=final,
    )
    suite = make_suite(meta, new_items)
    # Recorded first: if writing the files then fails, publishing again finds the same version and finishes.
    record_suite(store, suite, out_dir)
    save_suite(suite, out_dir)
    return PublishResult(
        suite,
        out_dir,
        previous.meta.version if previous else None,
        True,
        len(new_items),
        len(after - before),
        len(before - after),
    )
