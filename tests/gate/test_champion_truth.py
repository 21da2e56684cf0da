"""One truth about the champion: what the gate says, `champion show` and the dashboard agree. A gate run with
--record records its champion (the starting one too); one without is a trial run and says so."""

from __future__ import annotations

from evalharness.gate import current_champion, run_rounds

from .labkit import Lab, corrupted_replies, dictionary_items


def _lab(lab: Lab) -> Lab:
    items = dictionary_items(80, seed=21)
    lab.suite("synthetic-qa", items)
    lab.checkpoint("base", corrupted_replies(items, 0.5, seed=1))
    lab.checkpoint("better", corrupted_replies(items, 1 / 6, seed=2))
    lab.checkpoint("worse", corrupted_replies(items, 0.7, seed=3))
    lab.config()
    return lab


def test_record_with_a_starting_champion_records_it_even_when_the_candidate_reverts(lab: Lab) -> None:
    lab = _lab(lab)
    config, store = lab.load()
    [result] = run_rounds(config, store, [lab.ckpt("worse")], lab.loaded_suites(), champion=lab.ckpt("base"),
                          record=True)
    assert result.decision.outcome == "revert"
    assert result.record_note == "The champion stays `base`."
    champion = current_champion(store)
    assert champion is not None and champion.checkpoint_name == "base"
    assert "starting champion" in champion.reason


def test_rounds_with_record_say_what_champion_show_says(lab: Lab) -> None:
    lab = _lab(lab)
    config, store = lab.load()
    results = run_rounds(config, store, [lab.ckpt("better"), lab.ckpt("worse")], lab.loaded_suites(),
                         champion=lab.ckpt("base"), record=True)
    assert [r.decision.outcome for r in results] == ["advance", "revert"]
    assert [r.record_note for r in results] == ["Recorded: `better` is now the champion.",
                                                "The champion stays `better`."]
    assert current_champion(store).checkpoint_name == "better"


def test_a_trial_run_never_says_the_champion_stays(lab: Lab) -> None:
    lab = _lab(lab)
    config, store = lab.load()
    results = run_rounds(config, store, [lab.ckpt("better"), lab.ckpt("worse")], lab.loaded_suites(),
                         champion=lab.ckpt("base"))
    assert current_champion(store) is None
    for r in results:
        assert r.record_note.startswith("Trial run (not recorded)") and "no champion is recorded" in r.record_note
        assert "champion stays" not in r.record_note
    assert "`better` would replace `base`" in results[0].record_note
