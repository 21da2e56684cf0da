"""Where alerts go: a webhook (Slack-compatible JSON), e-mail over SMTP, GitHub Actions annotations.

A message carries aggregates only — scores, shares, counts, dates. Suite items (questions, references,
answers) appear in `examples` only when the check found that every suite of the canary allows
`publication`; the sinks never look at the suite themselves.
"""

from __future__ import annotations

import os
import smtplib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, TextIO

from ..errors import ConfigError
from .alerts import AlertEvent
from .settings import AlertSettings


class SinkError(Exception):
    """A sink could not deliver; the alert stays undelivered for that sink and is sent again next check."""


@dataclass(frozen=True)
class AlertMessage:
    monitor: str
    endpoint: str
    event: AlertEvent
    facts: tuple[str, ...] = ()
    #: item texts — only filled when every canary suite allows publication
    examples: tuple[str, ...] = ()
    check_id: str | None = None

    @property
    def title(self) -> str:
        return f"evalharness monitor {self.monitor}: {self.event.headline}"

    def lines(self) -> list[str]:
        e = self.event
        out = [f"Endpoint: {self.endpoint}", f"What: {e.detail}" if e.detail else ""]
        if e.since is not None and e.kind != "raised":
            out.append(f"On since: {e.since:%Y-%m-%d %H:%M} UTC")
        out += list(self.facts)
        if self.check_id:
            out.append(f"Check: {self.check_id} (evalharness monitor status {self.monitor})")
        return [line for line in out if line]

    def text(self) -> str:
        body = "\n".join(self.lines())
        if self.examples:
            body += "\n\nExamples (this suite's governance allows publication):\n" + "\n".join(self.examples)
        return body

    def markdown(self) -> str:
        icon = {"error": "❌", "warning": "⚠️"}.get(self.event.severity, "✅")
        out = [f"### {icon} {self.title}", ""] + [f"- {line}" for line in self.lines()]
        if self.examples:
            out += ["", "Examples (this suite's governance allows publication):", ""] + [
                f"- {x}" for x in self.examples
            ]
        return "\n".join(out) + "\n"


class Sink(Protocol):
    name: str

    def send(self, message: AlertMessage) -> None:
        """Deliver one alert or raise SinkError."""
        ...


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(message: AlertMessage) -> dict[str, Any]:
    """Slack's incoming-webhook shape: `text` (the fallback every receiver reads) plus Block Kit blocks."""
    body = _slack_escape(message.text())
    return {
        "text": f"{message.title}\n{body}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}},
        ],
    }


@dataclass
class WebhookSink:
    url: str
    timeout_s: float = 15.0
    name: str = "webhook"

    def send(self, message: AlertMessage) -> None:
        import httpx2

        try:
            response = httpx2.post(self.url, json=slack_body(message), timeout=self.timeout_s)
        except httpx2.HTTPError as exc:
            raise SinkError(f"webhook: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise SinkError(f"webhook answered HTTP {response.status_code}")


@dataclass
class EmailSink:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 15.0
    name: str = "email"

    def send(self, message: AlertMessage) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail.set_content(message.text())
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise SinkError(f"e-mail via {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None


def _gh_escape(text: str, *, property_value: bool = False) -> str:
    """GitHub's workflow-command escaping (data: % CR LF; properties also : and ,)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def annotation(message: AlertMessage) -> str:
    level = {"error": "error", "warning": "warning"}.get(message.event.severity, "notice")
    return f"::{level} title={_gh_escape(message.title, property_value=True)}::{_gh_escape(message.text())}"


@dataclass
class GitHubSink:
    """Annotations on the workflow run (stdout) and the alert in the job summary ($GITHUB_STEP_SUMMARY)."""

    summary_path: Path | None
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    name: str = "github"

    def send(self, message: AlertMessage) -> None:
        print(annotation(message), file=self.stream, flush=True)
        if self.summary_path is not None:
            try:
                with self.summary_path.open("a", encoding="utf-8") as fh:
                    fh.write(message.markdown() + "\n")
            except OSError as exc:
                raise SinkError(f"job summary {self.summary_path}: {exc}") from None


def _env(env: Mapping[str, str], name: str | None, what: str, field_name: str) -> str | None:
    if not name:
        return None
    value = env.get(name)
    if not value:
        raise ConfigError(
            f"{what} is read from the environment variable {name}, which is not set",
            field=field_name,
            hint=f"export {name}=… before the check (it is a secret: keep it out of config files)",
        )
    return value


def build_sinks(settings: AlertSettings, env: Mapping[str, str] | None = None) -> list[Sink]:
    """The configured sinks; a sink whose secret is missing is a config error before anything is checked."""
    env = os.environ if env is None else env
    sinks: list[Sink] = []
    url = _env(env, settings.webhook_url_env, "the webhook URL", "alerts.webhook_url_env")
    if url:
        sinks.append(WebhookSink(url, timeout_s=settings.timeout_s))
    if settings.email_to:
        if not settings.email_from:
            raise ConfigError("e-mail alerts need email_from", field="alerts.email_from")
        sinks.append(
            EmailSink(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.email_from,
                recipients=tuple(settings.email_to),
                starttls=settings.smtp_starttls,
                user=_env(env, settings.smtp_user_env, "the SMTP user", "alerts.smtp_user_env"),
                password=_env(env, settings.smtp_password_env, "the SMTP password", "alerts.smtp_password_env"),
                timeout_s=settings.timeout_s,
            )
        )
    on_actions = env.get("GITHUB_ACTIONS") == "true"
    if settings.github is True or (settings.github == "auto" and on_actions):
        summary = env.get("GITHUB_STEP_SUMMARY")
        sinks.append(GitHubSink(Path(summary) if summary else None))
    return sinks
