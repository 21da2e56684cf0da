"""Sinks against real receivers on loopback: a webhook (Slack JSON), SMTP (aiosmtpd), GitHub commands."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from evalharness.errors import ConfigError
from evalharness.monitor.alerts import AlertEvent
from evalharness.monitor.settings import AlertSettings
from evalharness.monitor.sinks import (
    AlertMessage,
    EmailSink,
    GitHubSink,
    SinkError,
    WebhookSink,
    build_sinks,
)

from .receivers import SmtpReceiver, WebhookReceiver

WHEN = datetime(2026, 12, 1, 6, 0)


def _message(**kw) -> AlertMessage:
    event = AlertEvent("drift", "raised", "error", "62% of canary answers changed (tolerance 10%)", WHEN, WHEN)
    return AlertMessage(monitor="stoney-ft", endpoint="stoney-ft (ft:gpt-4.1-mini:stoney::x)", event=event,
                        facts=("chrF++ 21.4 → 9.8", "wealth 25.1 ≥ 20"), check_id="chk-1", **kw)


def test_webhook_posts_a_slack_compatible_body() -> None:
    with WebhookReceiver() as hook:
        WebhookSink(hook.url).send(_message())
    [body] = hook.bodies
    assert body["text"].startswith("evalharness monitor stoney-ft: the endpoint's answers changed")
    assert "62% of canary answers changed" in body["text"]
    assert body["blocks"][0]["type"] == "header" and body["blocks"][1]["text"]["type"] == "mrkdwn"


def test_a_failing_webhook_is_a_sink_error() -> None:
    with WebhookReceiver() as hook:
        hook.status = 500
        with pytest.raises(SinkError, match="HTTP 500"):
            WebhookSink(hook.url).send(_message())


def test_email_reaches_a_real_smtp_server() -> None:
    with SmtpReceiver() as smtp:
        EmailSink("127.0.0.1", smtp.port, "monitor@example.org", ("ops@example.org",)).send(_message())
    [mail] = smtp.messages
    assert mail["Subject"] == "evalharness monitor stoney-ft: the endpoint's answers changed"
    assert smtp.envelopes == [("monitor@example.org", ["ops@example.org"])]
    assert "chrF++ 21.4 → 9.8" in mail.get_content()


def test_email_to_a_closed_port_is_a_sink_error() -> None:
    from .receivers import free_port

    with pytest.raises(SinkError, match="e-mail via"):
        EmailSink("127.0.0.1", free_port(), "a@example.org", ("b@example.org",), timeout_s=5).send(_message())


def test_github_annotation_is_escaped_and_the_summary_appended(tmp_path: Path) -> None:
    out = io.StringIO()
    summary = tmp_path / "summary.md"
    GitHubSink(summary, stream=out).send(_message())
    line = out.getvalue().strip()
    assert line.startswith("::error title=evalharness monitor stoney-ft%3A the endpoint's answers changed::")
    assert "\n" not in line and "%0A" in line
    assert "### ❌ evalharness monitor stoney-ft" in summary.read_text(encoding="utf-8")


def test_examples_appear_only_when_given() -> None:
    assert "Examples" not in _message().text()
    assert "Q: hello" in _message(examples=("Q: hello → A: hi",)).text()


def test_build_sinks_reads_secrets_from_the_environment() -> None:
    settings = AlertSettings(webhook_url_env="HOOK", email_to=["ops@example.org"], email_from="m@example.org",
                             github="auto")
    sinks = build_sinks(settings, {"HOOK": "http://127.0.0.1:9/x", "GITHUB_ACTIONS": "true"})
    assert [s.name for s in sinks] == ["webhook", "email", "github"]
    assert [s.name for s in build_sinks(settings, {"HOOK": "http://127.0.0.1:9/x"})] == ["webhook", "email"]
    with pytest.raises(ConfigError, match="HOOK, which is not set"):
        build_sinks(settings, {})
