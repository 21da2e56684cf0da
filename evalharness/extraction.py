"""Answer extraction: the form a model gave, taken out of the sentence it wrapped it in.

A model that answers "The direct translation for 'git' is `warhtâ`, a verb …" (~100 characters) where the
reference is the bare form `warhtâ` is measured by chrF on its sentence length, not on its word. A suite
declares how its answers are extracted (`[extraction]` in suite.toml); the runner applies it before
scoring and scores both the raw and the extracted answer (`chrf` and `chrf@extracted`), stores both
texts, and counts the answers from which nothing could be extracted.

Methods (all pure functions of the text):

| method | takes |
|---|---|
| `quoted` | a span in backticks, double or single quotes, or curly quotes (`which`: last or first) |
| `backticked` | a span in backticks only |
| `boxed` | the content of `\\boxed{…}` |
| `final_answer` | what follows "final answer:" (or "answer:") on its line |
| `last_line` | the last non-empty line |
| `regex` | `pattern`'s group `group` (default 1, or the whole match when the pattern has no group) |

With `language_only = true` (quoted, backticked, boxed) only spans made entirely of words of the suite's
language count, so "The word for 'big' is `tâga`" gives `tâga`, not `big`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .task import Extraction

if TYPE_CHECKING:
    from .language import Language

Method = Literal["quoted", "backticked", "boxed", "final_answer", "last_line", "regex"]

_QUOTED = re.compile(
    r"`([^`\n]{1,200})`|\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|‘([^’\n]{1,200})’"
    r"|(?<![\w])'([^'\n]{1,200})'(?!\w)"
)
_BACKTICKED = re.compile(r"`([^`\n]{1,200})`")
_FINAL = re.compile(r"(?:final\s+answer|answer)\s*(?:is)?\s*[:：]\s*(.+)", re.IGNORECASE)
_TRIM = " \t.,;:!?"


class ExtractionSpec(BaseModel):
    """`[extraction]` of suite.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: Method
    which: Literal["last", "first"] = "last"
    pattern: str = ""
    group: int = Field(1, ge=0)
    #: keep only spans made entirely of words of the suite's language (needs the suite's language card)
    language_only: bool = False

    @model_validator(mode="after")
    def _pattern(self) -> ExtractionSpec:
        if self.method == "regex":
            if not self.pattern:
                raise ValueError("method 'regex' needs a 'pattern'")
            try:
                compiled = re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
            if self.group > compiled.groups:
                raise ValueError(f"pattern has {compiled.groups} group(s); group {self.group} does not exist")
        elif self.pattern:
            raise ValueError(f"'pattern' is only for method 'regex', not '{self.method}'")
        if self.language_only and self.method not in ("quoted", "backticked", "boxed"):
            raise ValueError("'language_only' is for the quoted, backticked and boxed methods")
        return self

    @property
    def label(self) -> str:
        """For metric signatures: what was extracted, so differently extracted scores are never compared."""
        if self.method == "regex":
            return f"regex:{self.pattern}#{self.group}"
        if self.method in ("quoted", "backticked", "boxed"):
            return f"{self.method}:{self.which}" + (":language-only" if self.language_only else "")
        return self.method


@dataclass(frozen=True)
class SpecExtractor:
    """The task's answer extractor (`task.AnswerExtractor`) for a suite's declared `[extraction]`."""

    spec: ExtractionSpec
    language: Language | None = None

    @property
    def method(self) -> str:
        return self.spec.label

    def extract(self, reply: str) -> Extraction:
        return extract(reply, self.spec, self.language)


def _pick(spans: list[str], which: str) -> str | None:
    spans = [s.strip(_TRIM) for s in spans if s.strip(_TRIM)]
    if not spans:
        return None
    return spans[-1] if which == "last" else spans[0]


def _boxed(text: str) -> list[str]:
    """Contents of every \\boxed{…}, braces balanced (answers may hold braces themselves)."""
    spans = []
    start = text.find("\\boxed{")
    while start != -1:
        depth, i = 1, start + len("\\boxed{")
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            spans.append(text[start + len("\\boxed{") : i - 1])
        start = text.find("\\boxed{", i)
    return spans


def _of_language(spans: list[str], language: Language | None) -> list[str]:
    if language is None:
        raise ValueError("language_only extraction needs the suite's language card (suite.toml: language = ...)")
    return [s for s in spans if (tokens := language.tokens(s)) and all(language.is_word(t) for t in tokens)]


def extract(text: str, spec: ExtractionSpec, language: Language | None = None) -> Extraction:
    """Apply one declared method to one answer. Pure: the same text always gives the same result."""
    method = spec.method
    if method in ("quoted", "backticked", "boxed"):
        spans = (
            [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(text)]
            if method == "quoted"
            else _BACKTICKED.findall(text)
            if method == "backticked"
            else _boxed(text)
        )
        if spec.language_only:
            spans = _of_language([s.strip(_TRIM) for s in spans], language)
        found = _pick(spans, spec.which)
    elif method == "final_answer":
        found = _pick(_FINAL.findall(text), "last")
    elif method == "last_line":
        found = _pick([line for line in text.splitlines() if line.strip()], "last")
    else:
        match = re.search(spec.pattern, text)
        found = None if match is None else (match.group(spec.group) or "").strip() or None
    if found is None:
        what = method.replace("_", " ") + (" word of the language" if spec.language_only else " answer")
        return Extraction(None, spec.label, f"no {what} in the reply")
    return Extraction(found, spec.label)
