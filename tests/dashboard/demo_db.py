"""A small but real store for the dashboard tests: suites → replay checkpoints → Runner → DuckDB.

Two synthetic suites (dictionary Q&A and narrative corrections, both with Stoney diacritics â î û ṯ ẖ), three
replay checkpoints of different quality (one with a missing reply, so one item fails), runs made by the real
Runner, then a champion and two gate decisions inserted as the gate would write them (schema 0001).
Used by the session fixture, the two-process test's writer and the browser test's server.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from evalharness.checkpoints import Checkpoint
from evalharness.community.accounts import add_reviewer
from evalharness.config import Config
from evalharness.jsonl import write_jsonl
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.suites import Governance, Item, Provenance, Suite, SuiteMeta, load_suite, make_suite, save_suite

METRICS = ["chrf", "chrf++", "exact_match", "word_accuracy", "edit_similarity", "bits_per_char"]
REVIEWER, REVIEWER_PASSWORD = "Mary Wesley", "îjadaṯẖe-broom-7"
ADMIN, ADMIN_PASSWORD = "Elder Admin", "hûji-ethen-2026"
CHAMPION = "stoney-v2"
STONEY_WORD = "îjadaṯẖe"

DICTIONARY = [
    ("dq-01", "en-sto", "What is the Stoney word for 'broom'?", "The Stoney word for 'broom' is îjadaṯẖe.", ["noun"]),
    ("dq-02", "sto-en", "What does 'rhumnâ' mean in English?", "'rhumnâ' means coffee.", ["noun", "food"]),
    ("dq-03", "en-sto", "How do you say 'hurry up' in Stoney?", "You say 'hûji ethen' to mean hurry up.", ["phrase"]),
    ("dq-04", "sto-en", "Translate 'nâkadach' into English.", "'nâkadach' means to give off heat.", ["verb"]),
    ("dq-05", "en-sto", "What is the Stoney term for 'fourth'?", "The Stoney term for 'fourth' is îjiktûtha.",
     ["numeral"]),
    ("dq-06", "en-sto", "How would you say 'close your eyes'?", "You would say îsta rhmuṯẖach.", ["phrase"]),
    ("dq-07", "sto-en", "What does 'wachîniyâch' mean?", "'wachîniyâch' means to be loyal.", ["verb"]),
    ("dq-08", "en-sto", "What is the Stoney word for 'weaving'?", "The word for weaving is îchibathithabi.",
     ["noun"]),
    ("dq-09", "explain", "What kind of word is 'îstaore'?", "'îstaore' is an alienable noun meaning blindness.",
     ["noun", "grammar"]),
    ("dq-10", "en-sto", "How do you say 'take your time'?", "You would say 'gate opîîcheyo'.", ["phrase"]),
    ("dq-11", "sto-en", "What does 'mâbawîda' mean?", "'mâbawîda' means to massage.", ["verb"]),
    ("dq-12", "explain", "What is 'îjiktûtha' used for?", "'îjiktûtha' is a numeral: fourth.", ["numeral", "grammar"]),
]

NARRATIVE = [
    ("nc-01", "explain", "What does 'hûji ethen' mean and when is it said?",
     "It means goodbye.",
     "'hûji ethen' means 'hurry up'. It is said to urge someone on, often kindly, when it is time to go."),
    ("nc-02", "en-sto", "How do you say 'broom' in Stoney?",
     "The word is broom-a.",
     "The word is îjadaṯẖe. It names the broom used to sweep the home."),
    ("nc-03", "sto-en", "What is 'rhumnâ'?",
     "It is tea.",
     "'rhumnâ' is coffee, the drink shared when visiting relatives."),
    ("nc-04", "explain", "How do you tell someone to take their time?",
     "You say hûji ethen.",
     "You say 'gate opîîcheyo': take your time, go carefully; the opposite of 'hûji ethen'."),
]

#: (checkpoint, how it answers): the quality ladder the tests rely on (v2 beats base; v3 regresses on some).
def _reply(name: str, item_id: str, reference: str) -> str | None:
    if name == "stoney-base":
        return reference.split(" ")[0] + " I am not sure."
    if name == "stoney-v2":
        return reference if item_id[-1] in "13579" else reference.rsplit(" ", 1)[0]
    if name == "stoney-v3-lora":
        if item_id == "dq-12":
            return None  # a missing reply: the run has one failed item
        return reference if item_id[-1] in "02468" else "Something else entirely, " + reference[:8]
    raise ValueError(name)


@dataclass(frozen=True)
class Demo:
    db: Path
    dictionary: Suite
    narrative: Suite
    run_ids: dict[tuple[str, str], str]  # (checkpoint, suite name) -> run_id
    root: Path

    @property
    def dictionary_path(self) -> Path:
        return self.root / "suites" / self.dictionary.name


def _meta(name: str, kind: str, allowed: list[str]) -> SuiteMeta:
    return SuiteMeta(name=name, version="1.0.0", kind=kind,  # type: ignore[arg-type]
                     description=f"Synthetic {kind} items for the dashboard tests",
                     license="test data derived from the approved stoney_valid.jsonl",
                     provenance=Provenance(source="tests/dashboard/demo_db.py", derived_by="hand-written",
                                           credit="Stoney Nakoda community"),
                     governance=Governance(allowed_uses=allowed, review_contact="Stoney language governance"))


def suites(root: Path) -> tuple[Suite, Suite]:
    dictionary = make_suite(_meta("stoney-dictionary-mini", "dictionary_qa", ["evaluation", "publication"]),
                            [Item(id=i, prompt=p, reference=r, direction=d, tags=tuple(t))
                             for i, d, p, r, t in DICTIONARY])
    narrative = make_suite(_meta("stoney-narrative-mini", "narrative_correction", ["evaluation", "training"]),
                           [Item(id=i, prompt=p, reference=n, direction=d, tags=("story",), disallowed=bad,
                                 narrative=n) for i, d, p, bad, n in NARRATIVE])
    # Loaded back from their folders, as `evalharness run` does: the store then knows where each suite.toml is.
    return (load_suite(save_suite(dictionary, root / "suites" / dictionary.name)),
            load_suite(save_suite(narrative, root / "suites" / narrative.name)))


def checkpoint(root: Path, name: str, all_suites: list[Suite], *, variant: str = "") -> Checkpoint:
    replies = []
    for suite in all_suites:
        for item in suite.items:
            text = _reply(name, item.id, item.reference)
            if text is not None:
                replies.append({"id": item.id, "reply": text + variant})
    path = root / "replies" / f"{name}{variant}.jsonl"
    write_jsonl(path, replies)
    return Checkpoint(name=name, backend="replay", model=f"replay:{name}", replies=str(path))


def config() -> Config:
    return Config.model_validate({"metrics": {"enabled": METRICS, "required": ["chrf++"]}})


def build(root: Path, db: Path | None = None, *, accounts: bool = True) -> Demo:
    root.mkdir(parents=True, exist_ok=True)
    db = db or root / "demo.duckdb"
    store = Store(db)
    dictionary, narrative = suites(root)
    runner = Runner(config(), store)
    run_ids = {}
    for name in ("stoney-base", "stoney-v2", "stoney-v3-lora"):
        ckpt = checkpoint(root, name, [dictionary, narrative])
        for suite in (dictionary, narrative):
            run_ids[(name, suite.name)] = runner.run(ckpt, suite).run_id
    _gate_rows(store, run_ids)
    if accounts:
        add_reviewer(store, REVIEWER, "reviewer", REVIEWER_PASSWORD)
        add_reviewer(store, ADMIN, "admin", ADMIN_PASSWORD)
    return Demo(db=db, dictionary=dictionary, narrative=narrative, run_ids=run_ids, root=root)


def _identity(store: Store, name: str) -> str:
    return store.query("SELECT checkpoint_identity FROM runs WHERE checkpoint_name = ? LIMIT 1", [name])[0][0]


def _gate_rows(store: Store, run_ids: dict[tuple[str, str], str]) -> None:
    """Champion history and decisions, as the gate writes them (0001: decisions, champions)."""
    ids = {n: _identity(store, n) for n in ("stoney-base", "stoney-v2", "stoney-v3-lora")}
    runs = {n: [r for (c, _), r in run_ids.items() if c == n] for n in ids}
    decisions = [
        ("dec-0001", "2026-11-01 10:00:00", "stoney-v2", "stoney-base", "advance", 0,
         ["chrF++ improved by 21.4 (95% CI 12.0 to 30.1, p=0.001)", "no guard metric regressed"], True),
        ("dec-0002", "2026-11-20 10:00:00", "stoney-v3-lora", "stoney-v2", "revert", 1,
         ["chrF++ fell by 9.8 (95% CI -15.2 to -3.9, p=0.004)", "1 item failed to generate (incomplete run)"], False),
    ]
    with store.transaction() as con:
        for did, at, cand, champ, decision, code, reasons, recorded in decisions:
            con.execute("INSERT INTO decisions (decision_id, created_at, candidate, candidate_identity, champion, "
                        "champion_identity, candidate_run_ids, champion_run_ids, decision, exit_code, reasons_json, "
                        "stats_json, policy_json, seed, report_md, recorded) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [did, at, cand, ids[cand], champ, ids[champ], runs[cand], runs[champ], decision, code,
                         json.dumps(reasons), "{}", "{}", 12345, "# report", recorded])
        con.execute("INSERT INTO champions (seq, checkpoint_name, checkpoint_identity, decision_id, set_at, set_by, "
                    "reason) VALUES (1, 'stoney-base', ?, NULL, '2026-10-01 09:00:00', 'manual', "
                    "'first checkpoint')", [ids["stoney-base"]])
        con.execute("INSERT INTO champions (seq, checkpoint_name, checkpoint_identity, decision_id, set_at, set_by, "
                    "reason) VALUES (2, 'stoney-v2', ?, 'dec-0001', '2026-11-01 10:00:01', 'gate', "
                    "'advance: chrF++ improved')", [ids["stoney-v2"]])


if __name__ == "__main__":  # python -m tests.dashboard.demo_db OUT_DIR — a store to try the dashboard on
    out = Path(sys.argv[1])
    demo = build(out)
    print(demo.db)


def add_judge_verdict(store: Store, run_id: str, item_id: str, *, rationale: str, grades: tuple[int, ...],
                      model: str = "judge-1") -> None:
    """Verdicts as the judge stores them (migration 0003): one judge_calls row per sample, one judge_run_items row."""
    keys = [f"{run_id}-{item_id}-{i}" for i in range(len(grades))]
    with store.transaction() as con:
        for index, (key, grade) in enumerate(zip(keys, grades)):
            con.execute("INSERT INTO judge_calls (cache_key, judge_identity, judge_provider, judge_model, rubric_hash, "
                        "item_id, item_key, candidate_sha256, candidate_text, sample_index, status, overall, "
                        "criteria_json, rationale, flags, attempts) VALUES (?, 'j', 'gemini', ?, 'r', ?, 'k', 'c', "
                        "'answer', ?, 'ok', ?, '{}', ?, ARRAY['invented_word'], 1)",
                        [key, model, item_id, index, grade, rationale])
        cas = sum((g - 1) / 4 for g in grades) / len(grades)
        con.execute("INSERT INTO judge_run_items (run_id, item_id, judge_identity, judge_model, rubric_hash, status, "
                    "cache_keys, overall_scores, cas, spread, unstable, flags) VALUES (?, ?, 'j', ?, 'r', 'scored', "
                    "?, ?, ?, ?, ?, ARRAY['invented_word'])",
                    [run_id, item_id, model, keys, list(grades), cas, max(grades) - min(grades),
                     max(grades) - min(grades) >= 2])
