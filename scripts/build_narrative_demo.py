"""Build the narrative-correction *demo* suite from the bundled stoney-base checkpoint's real mistakes.

    python scripts/build_narrative_demo.py

For each item of `checkpoints/demo/data/narrative_pool.jsonl` (held out from training and from the
dictionary suite by word, see build_bundled_suites.py) the stoney-base checkpoint answers greedily; items whose reply is wrong
(sentence chrF++ against the reference below THRESHOLD) become narrative items: `disallowed` = that real
reply, `narrative` = `reference` = the seed file's approved answer. This is derived demo data that lets the
narrative-correction workflow run end to end; it is NOT a set of community-authored corrections.
Deterministic: greedy decoding, pool order, the first N_ITEMS qualifying items.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_bundled_suites import PROVENANCE  # noqa: E402
from sacrebleu.metrics import CHRF  # noqa: E402

from evalharness.backends.base import Request  # noqa: E402
from evalharness.backends.transformers_backend import TransformersBackend  # noqa: E402
from evalharness.checkpoints import load_checkpoint  # noqa: E402
from evalharness.jsonl import read_jsonl  # noqa: E402
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, make_suite, parse_item, save_suite  # noqa: E402

POOL = ROOT / "checkpoints" / "demo" / "data" / "narrative_pool.jsonl"
CHECKPOINT = ROOT / "checkpoints" / "stoney-base.toml"
OUT = ROOT / "suites" / "stoney-narrative-demo"
THRESHOLD = 40.0  # sentence chrF++; a right answer to these questions scores far above it
N_ITEMS = 40
LABEL = ("DERIVED DEMO DATA produced by the bundled stoney-base checkpoint, not community-authored corrections")


def narrative_items() -> tuple[list[Item], str]:
    pool = [parse_item(obj, path=POOL, line=line, kind="dictionary_qa") for line, obj in read_jsonl(POOL)]
    checkpoint = load_checkpoint(CHECKPOINT)
    backend = TransformersBackend(checkpoint)
    replies = {g.item_id: g for g in backend.generate([Request(i.id, i.prompt, i.system) for i in pool])}
    chrf = CHRF(word_order=2)
    wrong: list[Item] = []
    scores: list[float] = []
    for item in pool:
        reply = replies[item.id]
        if reply.status != "ok" or not (reply.text or "").strip():
            continue  # a failure is not a reply a reviewer could correct
        scores.append(chrf.sentence_score(reply.text, [item.reference]).score)
        if scores[-1] >= THRESHOLD:
            continue
        wrong.append(Item(id=item.id, prompt=item.prompt, reference=item.reference, direction=item.direction,
                          system=item.system, tags=(*item.tags, "demo-derived", "disallowed:stoney-base"),
                          disallowed=reply.text, narrative=item.reference, headwords=item.headwords))
    items = wrong[:N_ITEMS]
    print(f"{len(pool)} pool items, {len(scores)} replies, {len(wrong)} wrong (sentence chrF++ < {THRESHOLD}; "
          f"highest {max(scores):.1f}, mean {sum(scores) / len(scores):.1f}) → {len(items)} narrative items")
    return items, checkpoint.identity


def main() -> None:
    items, identity = narrative_items()
    meta = SuiteMeta(
        name="stoney-narrative-demo", version="2.0.0", kind="narrative_correction", language="sto",
        description=f"{LABEL}. Each item pairs a real wrong reply of the tiny demo checkpoint (disallowed) with the "
                    "seed file's approved answer (narrative = reference), to exercise the narrative-correction "
                    "workflow before real community corrections exist.",
        license="project-specific approval; external license unspecified",
        provenance=Provenance(
            **PROVENANCE,
            derived_by=f"scripts/build_narrative_demo.py: greedy replies of checkpoints/stoney-base.toml (identity "
                       f"{identity[:16]}) on checkpoints/demo/data/narrative_pool.jsonl, kept when sentence chrF++ "
                       f"< {THRESHOLD}; first {N_ITEMS} in pool order",
            authored_by=f"{LABEL}: 'disallowed' is machine output of the demo model; 'narrative' is the seed "
                        "project's generated dictionary answer. No community member wrote or reviewed these items.",
            notes="Replace with community-authored narrative corrections (from the dashboard) before drawing any "
                  "conclusion about cultural or linguistic quality. Rebuild whenever stoney-base is rebuilt.",
        ),
        governance=Governance(
            allowed_uses=["evaluation", "publication"],
            contains_sensitive_content=True,
            review_contact="Stoney Nakoda community language governance (see ../shared/data/README.md)",
            notes="Derived from the seed file approved for training and public release plus demo-model output. "
                  "External generation and external judging are NOT allowed until the community approves them: "
                  "add them to allowed_uses only with that approval.",
        ),
    )
    suite = make_suite(meta, items)
    save_suite(suite, OUT)
    print(f"wrote {OUT.relative_to(ROOT)} · {len(items)} items · suite hash {suite.content_hash[:12]}")


if __name__ == "__main__":
    main()
