"""Markdown documents cut into passages the knowledge base can store, embed and cite.

A passage is one section under a ``#``, ``##`` or ``###`` heading. Its title is the path of
headings that lead to it, joined by ``TITLE_SEPARATOR``, so a passage read on its own still
says where it comes from. Deeper headings stay inside their section's text. A section
longer than ``max_chars`` is cut on paragraph boundaries (then lines, then sentences, then
words) into parts titled "… (part 2)", "… (part 3)": the embedding model reads only the first
256 tokens of a text, so long sections would otherwise be searchable by their opening alone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_CHARS = 1_500
TITLE_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,3})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_PART = re.compile(r" \(part \d+\)$")


@dataclass(frozen=True)
class Passage:
    source: str
    title: str
    content: str

    @property
    def content_hash(self) -> str:
        """sha256 of source, title and content: the passage's identity in the database.

        The three parts are separated by a byte that cannot occur in text, so ("a", "bc") and
        ("ab", "c") never collide.
        """
        joined = "\x1f".join((self.source, self.title, self.content))
        return hashlib.sha256(joined.encode()).hexdigest()

    @property
    def embedding_text(self) -> str:
        """What the model embeds: the title carries the topic words that the body often omits."""
        return f"{self.title}\n\n{self.content}"

    @property
    def section(self) -> str:
        return section_of(self.title)


def section_of(title: str) -> str:
    """The last heading of a passage's title, without any "(part N)" suffix."""
    return _PART.sub("", title).rsplit(TITLE_SEPARATOR, 1)[-1]


def split_markdown(text: str, source: str, max_chars: int = MAX_CHARS) -> list[Passage]:
    """The passages of one markdown document, in document order, none of them empty."""
    passages: list[Passage] = []
    for title, body in _sections(text, default_title=source):
        chunks = _chunks(body, max_chars)
        for number, chunk in enumerate(chunks, start=1):
            part_title = title if number == 1 else f"{title} (part {number})"
            passages.append(Passage(source=source, title=part_title, content=chunk))
    return passages


def _sections(text: str, default_title: str) -> list[tuple[str, str]]:
    """(heading path, body) for each section; text before the first heading takes the source."""
    sections: list[tuple[str, str]] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    in_fence = False

    def close() -> None:
        title = TITLE_SEPARATOR.join(name for _, name in path) or default_title
        body = "\n".join(lines).strip("\n").rstrip()
        if body.strip():
            sections.append((title, body))
        lines.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        close()
        level = len(heading.group(1))
        path = [(lvl, name) for lvl, name in path if lvl < level]
        path.append((level, heading.group(2).strip()))
    close()
    return sections


# From coarsest to finest: paragraphs, lines, sentences, words; each with how parts are rejoined.
_CUTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\n[ \t]*\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?])[ \t]+"), " "),
    (re.compile(r"[ \t]+"), " "),
)


def _chunks(
    text: str, max_chars: int, cuts: tuple[tuple[re.Pattern[str], str], ...] = _CUTS
) -> list[str]:
    """``text`` whole if it fits, else greedy runs of its parts that each fit.

    Parts are paragraphs; a paragraph still too long is cut again on lines, then sentences,
    then words; a single word longer than ``max_chars`` (a URL, a token) is cut hard.
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    if not cuts:
        return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
    (pattern, joiner), finer = cuts[0], cuts[1:]
    parts = [part.strip() for part in pattern.split(text) if part.strip()]
    if len(parts) == 1:
        return _chunks(text, max_chars, finer)
    chunks: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{joiner}{part}" if current else part
        if len(candidate) <= max_chars:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = ""
        if len(part) <= max_chars:
            current = part
        else:
            chunks.extend(_chunks(part, max_chars, finer))
    if current:
        chunks.append(current)
    return chunks
