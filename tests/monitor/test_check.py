"""Checks end to end: real openai SDK → the shared fake server → the store → alerts on loopback receivers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from evalharness.checkpoints import find_checkpoint
from evalharness.errors import GovernanceError
from evalharness.monitor import notify
from evalharness.runner import Runner
from evalharness.store import monitor as db
from evalharness.store import monitor_alerts as alerts_db
from evalharness.suites import Governance, load_suite

from .conftest import BASE, FT, MODEL_A, MODEL_B, T0
from .receivers import SmtpReceiver, WebhookReceiver


def _alerts(hook: WebhookReceiver) -> list[str]:
    return [body["text"].split("\n", 1)[0] for body in hook.bodies]


def test_a_silent_switch_alarms_within_four_checks_and_alerts_once_per_state_change(make_lab) -> None:
    with WebhookReceiver() as hook, SmtpReceiver() as smtp:
        lab = make_lab(monitor={"thresholds": {"recover_after": 2}, "alerts": {
            "webhook_url_env": "ALERT_HOOK", "email_to": ["ops@example.org"], "email_from": "monitor@example.org",
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port}})
        env = {"ALERT_HOOK": hook.url}
        for _ in range(2):
            assert not lab.check(env=env, model=MODEL_A).check.alarm
        switched = []
        for _ in range(4):  # the endpoint silently serves another model from here on
            switched.append(lab.check(env=env, model=MODEL_B))
            if switched[-1].check.alarm:
                break
        assert switched[-1].check.alarm, [r.check.wealth for r in switched]
        assert not switched[0].check.alarm   # the first changed check cannot be bet on (the stake is set before it)
        assert switched[0].check.changed_share and switched[0].check.changed_share > 0.5
        lab.check(env=env, model=MODEL_B)            # still switched: no new alert
        back = [lab.check(env=env, model=MODEL_A) for _ in range(2)]
        assert not back[-1].check.alarm and back[-1].check.summary["drift"]["recovered"]
    assert _alerts(hook) == ["evalharness monitor stoney-ft: the endpoint's answers changed",
                             "evalharness monitor stoney-ft: recovered: the endpoint's answers match the baseline again"]
    assert [m["Subject"] for m in smtp.messages] == _alerts(hook)
    # aggregates only: this suite does not allow publication, so no question or answer is quoted
    everything = json.dumps(hook.bodies, ensure_ascii=False) + "".join(m.as_string() for m in smtp.messages)
    assert "means thing number" not in everything and "PROMPT-MARK" not in everything
    [raised, recovered] = alerts_db.list_alerts(lab.store, "stoney-ft")[::-1]
    assert raised.delivered == ("webhook", "email") and recovered.delivered == ("webhook", "email")


def test_examples_are_quoted_only_where_the_suite_allows_publication(make_lab) -> None:
    lab = make_lab(allowed=("evaluation", "external_generation", "publication"))
    lab.check(model=MODEL_A)
    published = lab.check(model=MODEL_B)
    assert published.changes is not None and published.changes.changed
    assert any("means thing number" in line for line in notify.examples(published, "drift"))
    closed_governance = Governance(allowed_uses=["evaluation", "external_generation"])
    closed = replace(published.target, suites=tuple(
        replace(s, meta=s.meta.model_copy(update={"governance": closed_governance})) for s in published.target.suites))
    assert notify.examples(replace(published, target=closed), "drift") == ()


def test_retirement_30_days_out_warns_once_then_reminds_at_the_interval(make_lab) -> None:
    shutdown = (T0 + timedelta(days=30)).date().isoformat()
    with WebhookReceiver() as hook:
        lab = make_lab(models={FT: None, BASE: shutdown}, monitor={"alerts": {"webhook_url_env": "H",
                                                                              "reminder_days": 7}})
        first = lab.check(env={"H": hook.url})
        assert first.retirement is not None and first.retirement.days_left == 30
        assert first.check.summary["retirement"]["description"] == \
            f"base model '{BASE}' shuts down on {shutdown} (in 30 day(s))"
        lab.check(env={"H": hook.url})          # next day: still within the horizon, already said
        lab.clock += timedelta(days=7)
        lab.check(env={"H": hook.url})          # a week later: one reminder
    assert _alerts(hook) == ["evalharness monitor stoney-ft: the model retires soon",
                             "evalharness monitor stoney-ft: reminder: the model retires soon"]
    assert "gate a replacement" in hook.bodies[0]["text"]


def test_a_404_model_is_the_endpoint_gone_alarm_and_a_failed_delivery_is_retried_once(make_lab) -> None:
    with WebhookReceiver() as hook:
        lab = make_lab(models={BASE: None}, monitor={"alerts": {"webhook_url_env": "H"}})
        hook.status = 500                       # the receiver is down when the alarm is raised
        gone = lab.check(env={"H": hook.url})
        assert gone.check.status == "gone" and gone.retirement is not None and gone.retirement.gone
        assert lab.fake.stats.by_path.get("/v1/chat/completions", 0) == 0   # nothing sent to a gone model
        assert [(d.sink, d.ok) for d in gone.alerts] == [("webhook", False)]
        hook.status = 200
        lab.check(env={"H": hook.url})          # still gone: nothing new, the pending alert is delivered
        lab.check(env={"H": hook.url})
        lab.fake.behaviour.models = {FT: None, BASE: None}
        back = lab.check(env={"H": hook.url})
        assert back.check.status == "complete"
    assert _alerts(hook) == ["evalharness monitor stoney-ft: the endpoint is gone",
                             "evalharness monitor stoney-ft: recovered: the endpoint answers again"]
    assert "404" in hook.bodies[0]["text"]


def test_a_check_asks_afresh_and_reports_its_cost_next_to_a_full_run(make_lab) -> None:
    lab = make_lab()
    from evalharness.testing.simulated import behaviour_for

    behaviour_for(MODEL_A, lab.references, 0, lab.fake.behaviour)
    checkpoint = find_checkpoint("stoney-ft", lab.config.run.checkpoints_dir)
    suite = load_suite(lab.root / "suites" / "heldout")
    lab.config.metrics.enabled = ["chrf++", "exact_match"]
    full = Runner(lab.config, lab.store).run(checkpoint, suite)        # fills the generation cache
    cached = lab.store.query("SELECT count(*) FROM generations")[0][0]
    before = lab.fake.stats.by_path["/v1/chat/completions"]
    result = lab.check(model=MODEL_A)
    assert lab.fake.stats.by_path["/v1/chat/completions"] - before == 20     # every canary item asked again
    # a check asks for token log-probabilities (a run does not) and keeps them with the answers
    chat = [b for b in lab.fake.stats.bodies if "messages" in b]
    assert not any(b.get("logprobs") for b in chat[:-20]) and all(b.get("logprobs") is True for b in chat[-20:])
    assert result.check.summary["has_logprobs"]
    assert all(a.logprob_tokens for a in db.check_answers(lab.store, result.check.check_id).values())
    assert lab.store.query("SELECT count(*) FROM generations")[0][0] == cached   # and nothing written to the cache
    check = result.check
    assert result.full_run is not None and result.full_run.source == f"runs {full.run_id}"
    run_tokens = lab.store.query("SELECT prompt_tokens, completion_tokens, n_items FROM runs WHERE run_id = ?",
                                 [full.run_id])[0]
    assert (result.full_run.prompt_tokens, result.full_run.completion_tokens, result.full_run.items) == run_tokens
    assert check.prompt_tokens and check.completion_tokens and check.n_items == 20
    assert check.prompt_tokens < run_tokens[0] and check.completion_tokens < run_tokens[1]
    assert check.cost_usd == pytest.approx((check.prompt_tokens * 0.8 + check.completion_tokens * 3.2) / 1e6)
    audited = lab.store.query("SELECT purpose, count(*) FROM external_calls WHERE run_id = ? GROUP BY purpose "
                              "ORDER BY purpose", [check.check_id])
    assert audited == [("generation", 20), ("retirement", 2)]


def test_governance_refuses_a_check_before_anything_is_sent(make_lab) -> None:
    lab = make_lab(allowed=("evaluation",))
    with pytest.raises(GovernanceError, match="external_generation"):
        lab.check()
    assert lab.fake.stats.requests == 0


def test_rebaseline_makes_the_next_check_the_baseline(make_lab) -> None:
    from evalharness.monitor.check import rebaseline
    from evalharness.monitor.registry import find_monitor

    lab = make_lab()
    first = lab.check(model=MODEL_A)
    assert first.baseline is not None and first.baseline.source_check == first.check.check_id
    switched = lab.check(model=MODEL_B)
    assert switched.check.changed_share and switched.check.changed_share > 0.5
    row = rebaseline(lab.config, lab.store, find_monitor(lab.config, "stoney-ft"), reason="new model accepted",
                     now=lab.clock)
    accepted = lab.check(model=MODEL_B)
    assert accepted.baseline is not None and accepted.baseline.baseline_id == row.baseline_id
    assert accepted.baseline.source_check == accepted.check.check_id
    assert accepted.check.changed_share == 0.0 and accepted.check.test_start == accepted.check.seq
    after = lab.check(model=MODEL_B)
    assert after.check.changed_share == 0.0 and after.check.baseline_id == row.baseline_id
