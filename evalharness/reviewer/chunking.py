"""Split documents into citable passages: Markdown by heading, TOML by table.

A passage is the text under one heading, cited by the file and its heading path, so an answer can say
*where* a claim comes from. Sections longer than `max_chars` are split at paragraph boundaries (keeping
their citation) so that one huge section cannot crowd every other passage out of a request.
"""

from __future__ import annotations

import re

from .passages import Passage, PassageKind

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TOML_TABLE = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


def chunk_markdown(text: str, source: str, *, max_chars: int, kind: PassageKind = "doc") -> list[Passage]:
    """Passages of a Markdown file, one per non-empty section (headings inside code fences are code)."""
    sections: list[tuple[tuple[str, ...], list[str]]] = [((), [])]
    stack: list[tuple[int, str]] = []
    fence: str | None = None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            sections[-1][1].append(line)
            continue
        if fence is None:
            heading = _heading(line, lines[index - 1] if index else "", sections[-1][1])
            if heading is not None:
                level, title = heading
                if _SETEXT.match(line):  # the title line was already added to the previous section
                    sections[-1][1].pop()
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, title))
                sections.append((tuple(t for _, t in stack), []))
                continue
        sections[-1][1].append(line)
    passages: list[Passage] = []
    for heading_path, body in sections:
        for part in split_long("\n".join(body).strip(), max_chars):
            passages.append(Passage(source=source, heading=heading_path, text=part, kind=kind))
    return passages


def _heading(line: str, previous: str, current_body: list[str]) -> tuple[int, str] | None:
    atx = _ATX.match(line)
    if atx:
        return len(atx.group(1)), (atx.group(2) or "").strip()
    setext = _SETEXT.match(line)
    # A setext underline needs a paragraph line right above it that is still part of the current body.
    if (
        setext
        and previous.strip()
        and current_body
        and current_body[-1] == previous
        and not _ATX.match(previous)
        and not previous.lstrip().startswith(("|", "-", "*", ">"))
    ):
        return (1 if setext.group(1).startswith("=") else 2), previous.strip()
    return None


def chunk_toml(text: str, source: str, *, max_chars: int, kind: PassageKind) -> list[Passage]:
    """Passages of a TOML file, one per table (`[provenance]`, `[governance]`, …); top-level keys first."""
    sections: list[tuple[tuple[str, ...], list[str]]] = [((), [])]
    for line in text.splitlines():
        table = _TOML_TABLE.match(line)
        if table and not line.lstrip().startswith("#"):
            sections.append(((table.group(1),), [line]))
        else:
            sections[-1][1].append(line)
    passages: list[Passage] = []
    for heading_path, body in sections:
        content = "\n".join(body).strip()
        values = body[1:] if heading_path else body
        if not any(line.strip() and not line.lstrip().startswith("#") for line in values):
            continue  # a table header with nothing under it, or only comments
        for part in split_long(content, max_chars):
            passages.append(Passage(source=source, heading=heading_path, text=part, kind=kind))
    return passages


def split_long(text: str, max_chars: int) -> list[str]:
    """Split at blank lines into pieces of at most `max_chars`; a single longer paragraph is split at spaces."""
    if not text:
        return []
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        for block in _hard_split(paragraph.strip(), max_chars):
            if current and len(current) + 2 + len(block) > max_chars:
                pieces.append(current)
                current = block
            else:
                current = f"{current}\n\n{block}" if current else block
    if current:
        pieces.append(current)
    return pieces


def _hard_split(paragraph: str, max_chars: int) -> list[str]:
    out: list[str] = []
    while len(paragraph) > max_chars:
        cut = paragraph.rfind(" ", 0, max_chars)
        cut = cut if cut > max_chars // 2 else max_chars
        out.append(paragraph[:cut].rstrip())
        paragraph = paragraph[cut:].lstrip()
    if paragraph:
        out.append(paragraph)
    return out
