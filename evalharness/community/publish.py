"""Publish accepted corrections as the next version of the narrative-correction suite.

The new version holds every accepted correction (a correction rejected after an earlier publication
drops out) plus any items of the previous version that did not come from the corrections table (hand-made
ones are kept). Provenance credits every author and every admin who accepted, with dates; governance is
copied from the suite the corrected items came from — the community's permissions travel with its words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import InputError
from ..store import Store
from ..store import reviews as review_rows
from ..store import suites as suite_rows
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


def _source_governance(store: Store, hashes: set[str | None]) -> tuple[Governance, str, list[str]]:
    """Governance and licence of the source suites. Several sources: only what all of them allow."""
    known = [h for h in hashes if h]
    metas = [r.meta for r in suite_rows.suites_by_hash(store, known)]
    labels = [f"{m['name']} {m['version']}" for m in metas]
    if not metas or len(metas) < len(hashes):
        # A correction whose source suite is unknown: nothing is allowed until someone decides.
        return (
            Governance(notes="Source suite unknown for some corrections: nothing allowed until the community decides."),
            "unspecified",
            labels,
        )
    govs = [Governance.model_validate(m.get("governance") or {}) for m in metas]
    allowed = [u for u in govs[0].allowed_uses if all(u in g.allowed_uses for g in govs[1:])]
    contacts = sorted({g.review_contact for g in govs if g.review_contact})
    notes = govs[0].notes if len(govs) == 1 else f"Only the uses every source suite allows ({', '.join(labels)})."
    governance = Governance(
        allowed_uses=allowed,
        contains_sensitive_content=any(g.contains_sensitive_content for g in govs),
        review_contact=", ".join(contacts),
        notes=notes,
    )
    licences = sorted({m.get("license", "") for m in metas if m.get("license")})
    return governance, " / ".join(licences) or "unspecified", labels


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
    store: Store, out_dir: str | Path, *, name: str, published_by: str, version: str | None = None
) -> PublishResult:
    """Write the next suite version to `out_dir` (suite.toml + items.jsonl) and record it in the store."""
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
    if previous is not None and tuple(new_items) == previous.items:
        return PublishResult(previous, out_dir, previous.meta.version, False, len(new_items), 0, 0)
    new_version = version or (bump(previous.meta.version) if previous else "1.0.0")
    if previous is not None and new_version == previous.meta.version:
        raise InputError(
            f"version {new_version} is already published in {out_dir}", field="version", hint="give a new version"
        )
    corrections = [c for c, _ in pairs]
    governance, licence, sources = _source_governance(store, {c.suite_hash for c in corrections})
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
        governance=governance,
    )
    suite = make_suite(meta, new_items)
    # Recorded first: if writing the files then fails, publishing again finds the same version and finishes.
    record_suite(store, suite)
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
