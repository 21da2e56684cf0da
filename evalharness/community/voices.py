"""Several voices per answer: who still needs to hear an answer, how far reviewers agree, and settling.

One person's rating used to become the truth the judge is calibrated against. Now every answer goes to
reviewers until `[dashboard] ratings_per_answer` people (default 2) have rated it; nobody sees the others'
ratings before giving their own (blind). Agreement between reviewers is Krippendorff's α (the `krippendorff`
package) per criterion — right/wrong (nominal), cultural authenticity and each rubric criterion (ordinal,
1–5) — with a seeded bootstrap interval that resamples answers. Answers whose reviewers disagree are listed
for an admin, who settles them; calibration then uses the settled rating, or the voices' consensus.
"""

from __future__ import annotations

import hashlib
import math
import uuid
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import InputError
from ..jsonl import nfc
from ..store import Store
from ..store import voices as sql
from ..store.voices import Settlement, Voice

Level = Literal["nominal", "ordinal"]
AnswerKey = tuple[str, str, str]  # (suite hash or "", item id, sha256 of the answer text)
VERDICTS = ("right", "wrong")
GRADES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Criterion:
    """Something reviewers grade, and how its values relate (nominal: same or not; ordinal: ordered)."""

    key: str  # "verdict", "cas", or a rubric criterion id
    label: str
    level: Level
    values: tuple[object, ...]


VERDICT = Criterion("verdict", "Right or wrong", "nominal", VERDICTS)
AUTHENTICITY = Criterion("cas", "Cultural authenticity (1–5)", "ordinal", GRADES)


def criteria(rubric_criteria: Sequence[tuple[str, str]] = ()) -> list[Criterion]:
    """Right/wrong, cultural authenticity, then each rubric criterion (id, name) reviewers may grade 1–5."""
    return [VERDICT, AUTHENTICITY] + [Criterion(cid, name, "ordinal", GRADES) for cid, name in rubric_criteria]


def answer_sha256(text: str) -> str:
    """The identity of an answer's text (the judge's `candidate_sha256`: NFC, UTF-8)."""
    return hashlib.sha256(nfc(text).encode("utf-8")).hexdigest()


def answer_key(suite_hash: str | None, item_id: str, text: str) -> AnswerKey:
    return (suite_hash or "", item_id, answer_sha256(text))


def value_of(voice: Voice, criterion: Criterion) -> object | None:
    if criterion.key == "verdict":
        return voice.verdict
    if criterion.key == "cas":
        return voice.cas_rating
    return voice.criteria.get(criterion.key)


# -- agreement -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    criterion: Criterion
    alpha: float | None
    low: float | None
    high: float | None
    n_answers: int  # answers with two or more voices on this criterion (the ones α is computed from)
    n_raters: int
    n_ratings: int  # the ratings behind α
    reason: str | None  # why α is None
    confidence: float
    n_resamples: int
    seed: int
    undefined_resamples: int = 0

    @property
    def words(self) -> str:
        """What α means, in plain words (Krippendorff's own guide: ≥ 0.8 reliable, ≥ 0.667 tentative)."""
        if self.alpha is None:
            return "Not measured yet"
        if self.alpha >= 0.8:
            return "Reviewers agree well"
        if self.alpha >= 0.667:
            return "Reviewers mostly agree"
        if self.alpha > 0:
            return "Reviewers often disagree"
        return "Reviewers do not agree more than chance would"


def _value_counts(voices: Sequence[Voice], criterion: Criterion) -> tuple[np.ndarray, int, int]:
    """Units (answers with ≥ 2 values) × the criterion's values: how many reviewers gave each value."""
    index = {v: i for i, v in enumerate(criterion.values)}
    per_answer: dict[AnswerKey, list[int]] = defaultdict(list)
    raters = set()
    for voice in voices:
        value = value_of(voice, criterion)
        if value is None or value not in index:
            continue
        per_answer[answer_key(voice.suite_hash, voice.item_id, voice.candidate_text)].append(index[value])
        raters.add(voice.rater)
    units = [values for values in per_answer.values() if len(values) >= 2]
    counts = np.zeros((len(units), len(criterion.values)))
    for row, values in enumerate(units):
        for value in values:
            counts[row, value] += 1
    return counts, len(raters), sum(len(v) for v in units)


def _alpha(counts: np.ndarray, level: Level) -> float | None:
    import krippendorff

    if counts.shape[0] < 2 or np.count_nonzero(counts.sum(axis=0)) < 2:
        return None
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = float(krippendorff.alpha(value_counts=counts, level_of_measurement=level))
        except (ValueError, ZeroDivisionError):
            return None
    return value if math.isfinite(value) else None


def agreement(
    voices: Sequence[Voice],
    criterion: Criterion,
    *,
    n_resamples: int = 1000,
    seed: int = 12345,
    confidence: float = 0.95,
) -> Agreement:
    """Krippendorff's α for one criterion, with a percentile bootstrap interval over answers (seeded)."""
    counts, n_raters, n_ratings = _value_counts(voices, criterion)
    base = dict(
        criterion=criterion,
        n_answers=int(counts.shape[0]),
        n_raters=n_raters,
        n_ratings=n_ratings,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )
    if counts.shape[0] < 2:
        return Agreement(
            alpha=None,
            low=None,
            high=None,
            reason="fewer than two answers have been rated by two or more reviewers",
            **base,  # type: ignore[arg-type]
        )
    alpha = _alpha(counts, criterion.level)
    if alpha is None:
        return Agreement(
            alpha=None,
            low=None,
            high=None,
            reason="every reviewer gave the same value: agreement cannot be told from chance",
            **base,  # type: ignore[arg-type]
        )
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, counts.shape[0], size=(n_resamples, counts.shape[0]))
    values = np.array([np.nan if (a := _alpha(counts[d], criterion.level)) is None else a for d in draws])
    finite = values[np.isfinite(values)]
    low = high = None
    if len(finite):
        tail = (1 - confidence) / 2
        low, high = (float(x) for x in np.quantile(finite, [tail, 1 - tail]))
    return Agreement(
        alpha=alpha,
        low=low,
        high=high,
        reason=None,
        undefined_resamples=int(len(values) - len(finite)),
        **base,  # type: ignore[arg-type]
    )


def agreements(
    store: Store, rubric_criteria: Sequence[tuple[str, str]] = (), *, n_resamples: int = 1000, seed: int = 12345
) -> list[Agreement]:
    """α per criterion over every answer in the store (criteria nobody graded are left out)."""
    found = sql.voices(store)
    out = []
    for criterion in criteria(rubric_criteria):
        result = agreement(found, criterion, n_resamples=n_resamples, seed=seed)
        if result.n_ratings or criterion in (VERDICT, AUTHENTICITY):
            out.append(result)
    return out


# -- disagreements and settling --------------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    key: AnswerKey
    suite_hash: str | None
    item_id: str
    prompt: str | None
    answer: str
    voices: tuple[Voice, ...]
    why: str  # in plain words
    settlement: Settlement | None


def _why(group: Sequence[Voice], spread: int) -> str | None:
    verdicts = {v.verdict for v in group if v.verdict}
    grades = [v.cas_rating for v in group if v.cas_rating is not None]
    reasons = []
    if len(verdicts) > 1:
        reasons.append("some said right, some said wrong")
    if len(grades) >= 2 and max(grades) - min(grades) >= spread:
        reasons.append(f"authenticity grades from {min(grades)} to {max(grades)}")
    return "; ".join(reasons) or None


def disagreements(
    voices: Sequence[Voice], settled: Sequence[Settlement], *, spread: int = 2, include_settled: bool = False
) -> list[Disagreement]:
    """Answers whose reviewers disagree: different right/wrong, or authenticity grades `spread` or more apart."""
    groups: dict[AnswerKey, list[Voice]] = defaultdict(list)
    for v in voices:
        groups[answer_key(v.suite_hash, v.item_id, v.candidate_text)].append(v)
    settlement = {(s.suite_hash or "", s.item_id, s.candidate_sha256): s for s in settled}
    out = []
    for key, group in groups.items():
        why = _why(group, spread) if len(group) >= 2 else None
        if why is None or (key in settlement and not include_settled):
            continue
        first = group[0]
        out.append(
            Disagreement(
                key=key,
                suite_hash=first.suite_hash,
                item_id=first.item_id,
                prompt=first.prompt,
                answer=first.candidate_text,
                voices=tuple(group),
                why=why,
                settlement=settlement.get(key),
            )
        )
    return sorted(out, key=lambda d: min((v.created_at for v in d.voices if v.created_at), default=None) or 0)


def open_disagreements(store: Store, *, spread: int = 2) -> list[Disagreement]:
    return disagreements(sql.voices(store), sql.settlements(store), spread=spread)


def settle(
    store: Store,
    admin: str,
    disagreement: Disagreement,
    *,
    verdict: str | None,
    cas_rating: int | None,
    note: str | None = None,
    session_version: int | None = None,
) -> str:
    """An admin's rating of an answer reviewers disagreed on; calibration uses it instead of the voices."""
    from ..store.reviews import AccountMissing
    from .reviews import _denied

    if verdict is not None and verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {VERDICTS}", field="verdict")
    if cas_rating is not None and cas_rating not in GRADES:
        raise InputError("cultural authenticity must be a whole number from 1 to 5", field="cas_rating")
    if verdict is None and cas_rating is None:
        raise InputError("nothing to settle: choose right or wrong, or an authenticity grade")
    settlement_id = "set-" + uuid.uuid4().hex[:16]
    try:
        sql.settle(
            store,
            admin,
            session_version=session_version,
            settlement_id=settlement_id,
            suite_hash=disagreement.suite_hash,
            item_id=disagreement.item_id,
            candidate_sha256=disagreement.key[2],
            candidate_text=disagreement.answer,
            verdict=verdict,
            cas_rating=cas_rating,
            note=nfc(note).strip() or None if note else None,
        )
    except AccountMissing as exc:
        raise _denied(exc) from None
    return settlement_id


# -- blind review ----------------------------------------------------------------------------------------


def others_after_mine(store: Store, reviewer: str, suite_hash: str, item_id: str, answer: str) -> list[Voice] | None:
    """What the other reviewers said about this answer — only once this reviewer has rated it (blind first)."""
    here = [v for v in sql.voices(store, item_id=item_id, suite_hash=suite_hash) if v.candidate_text == answer]
    if not any(v.rater == reviewer for v in here):
        return None
    return [v for v in here if v.rater != reviewer]
