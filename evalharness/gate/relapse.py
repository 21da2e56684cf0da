"""No relapse on corrections: a narrative correction, once learnt, must stay learnt.

For an item that carries a `disallowed` reply (the flawed answer a reviewer corrected) and a `narrative`
(the corrected answer), a reply "leans disallowed" when its sentence chrF++ against the disallowed reply
is higher than against the narrative (NFC text, sacrebleu). A *relapse* is a candidate reply that leans
disallowed where the champion's reply did not. Items whose reply is missing on either side cannot be
judged; they are listed, never counted as passing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sacrebleu.metrics import CHRF

from ..jsonl import nfc
from .pairing import SuiteItems


@dataclass(frozen=True)
class Lean:
    to_disallowed: float  # sentence chrF++ of the reply against the disallowed reply
    to_narrative: float  # ... against the narrative

    @property
    def leans_disallowed(self) -> bool:
        return self.to_disallowed > self.to_narrative


@dataclass(frozen=True)
class RelapseItem:
    suite: str
    item_id: str
    candidate: Lean
    champion: Lean
    candidate_reply: str


@dataclass(frozen=True)
class RelapseCheck:
    n_checked: int
    relapsed: tuple[RelapseItem, ...] = ()
    persisting: tuple[str, ...] = ()  # both lean disallowed: not a relapse, still worth a reviewer's look
    fixed: tuple[str, ...] = ()  # the champion leaned disallowed, the candidate does not
    not_judged: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)  # (suite, item, why)


def lean(scorer: CHRF, reply: str, disallowed: str, narrative: str) -> Lean:
    hyp = nfc(reply)
    return Lean(
        to_disallowed=scorer.sentence_score(hyp, [nfc(disallowed)]).score,
        to_narrative=scorer.sentence_score(hyp, [nfc(narrative)]).score,
    )


def check_relapses(suites: list[tuple[SuiteItems, Mapping[str, str | None], Mapping[str, str | None]]]) -> RelapseCheck:
    """`suites`: (suite, candidate item → reply or None, champion item → reply or None) for each suite."""
    scorer = CHRF(word_order=2)
    relapsed: list[RelapseItem] = []
    persisting: list[str] = []
    fixed: list[str] = []
    not_judged: list[tuple[str, str, str]] = []
    n_checked = 0
    for suite, candidate, champion in suites:
        for item_id, disallowed, narrative in zip(suite.item_ids, suite.disallowed, suite.narrative):
            if disallowed is None or narrative is None:
                continue
            cand_reply, champ_reply = candidate.get(item_id), champion.get(item_id)
            if cand_reply is None or champ_reply is None:
                side = "candidate" if cand_reply is None else "champion"
                not_judged.append((suite.name, item_id, f"no {side} reply"))
                continue
            n_checked += 1
            cand, champ = (
                lean(scorer, cand_reply, disallowed, narrative),
                lean(scorer, champ_reply, disallowed, narrative),
            )
            if cand.leans_disallowed and not champ.leans_disallowed:
                relapsed.append(RelapseItem(suite.name, item_id, cand, champ, cand_reply))
            elif cand.leans_disallowed:
                persisting.append(f"{suite.name}/{item_id}")
            elif champ.leans_disallowed:
                fixed.append(f"{suite.name}/{item_id}")
    return RelapseCheck(
        n_checked=n_checked,
        relapsed=tuple(relapsed),
        persisting=tuple(persisting),
        fixed=tuple(fixed),
        not_judged=tuple(not_judged),
    )
