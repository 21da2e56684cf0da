"""The `[judge]` config section, and which judges count as *external* for governance.

A judge is external — and needs the suite's `external_judging` permission — unless the data provably stays
on this machine: an `openai_compatible` server whose base_url host is `localhost` or a loopback address
(127.0.0.0/8, ::1), and whose client ignores proxy settings so the request really stays here. Gemini and
OpenAI are always external, whatever base_url says (a base_url there is a proxy in front of the provider).
A server elsewhere on a local network is external too: the text leaves this machine, and only the community
can decide that is fine (by adding `external_judging`).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..providers.hosts import is_loopback_url

JudgeProvider = Literal["gemini", "openai", "openai_compatible"]


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: off by default: CAS is then recorded as not scored ("no judge configured"), never as a number
    enabled: bool = False
    provider: JudgeProvider = "gemini"
    #: the judge model id, e.g. "gemini-2.5-flash", "gpt-4.1-mini", or the name a local server serves
    model: str | None = None
    #: openai_compatible: the server (e.g. http://localhost:11434/v1 for Ollama, http://localhost:8000/v1 vLLM)
    base_url: str | None = None
    #: environment variable holding the key (default GOOGLE_API_KEY/GEMINI_API_KEY, OPENAI_API_KEY; none for local)
    api_key_env: str | None = None
    #: `[providers.<name>]` section for limits, retries and prices (default: the provider name)
    provider_section: str | None = None
    #: verdicts per item; samples that disagree by `unstable_spread` or more mark the item unstable
    samples: int = Field(3, ge=1, le=20)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    unstable_spread: int = Field(2, ge=1, le=4)
    #: rubric TOML, relative to the config file
    rubric: str = "rubrics/cultural_authenticity.toml"
    #: a verdict that fails validation (not JSON, out of range, extra keys) is asked for again this many times
    invalid_retries: int = Field(2, ge=0, le=10)
    max_output_tokens: int = Field(1024, ge=64, le=16384)
    #: openai/openai_compatible structured output; "json_object" for servers without json_schema support
    #: (the verdict is validated against the same schema either way)
    response_format: Literal["json_schema", "json_object"] = "json_schema"
    #: requests in flight; None → the provider section's concurrency, else `[run] concurrency`
    concurrency: int | None = Field(None, ge=1, le=256)

    @model_validator(mode="after")
    def _complete(self) -> JudgeConfig:
        if self.enabled and not self.model:
            raise ValueError("set `model` (the judge model id) when the judge is enabled")
        if self.enabled and self.provider == "openai_compatible" and not self.base_url:
            raise ValueError("openai_compatible judges need `base_url` (e.g. http://localhost:11434/v1)")
        if self.base_url and urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ValueError(f"base_url must start with http:// or https:// (got {self.base_url!r})")
        return self

    @property
    def section(self) -> str:
        return self.provider_section or self.provider

    @property
    def is_external(self) -> bool:
        return is_external_judge(self.provider, self.base_url)


def is_external_judge(provider: str, base_url: str | None) -> bool:
    if provider in ("gemini", "openai"):
        return True
    return not is_loopback_url(base_url)
