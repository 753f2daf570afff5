"""Markdown documents cut into passages the knowledge base can store, embed and cite.

A passage is one section under a heading of any depth (``#`` to ``######``, or a line
underlined with ``===`` / ``---``). Its title is the path of headings that lead to it, joined by
``TITLE_SEPARATOR``, so a passage read on its own still says where it comes from. An FAQ is cut
into one passage per question, titled by the question, whichever way it is written: a question
in bold on its own line or at the start of a list item ("**Can I …?** …"), or "Q: … / A: …"
lines. A section longer than ``max_chars`` is cut on paragraph boundaries (then lines, then
sentences, then words) into parts titled "… (part 2)", "… (part 3)": the embedding model reads
only the first 256 tokens of a text, so long sections would otherwise be searchable by their
opening alone. A table cut this way keeps its header row in every part.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_CHARS = 1_500
TITLE_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")  # the line under a heading: = is 1, - is 2
# "**Can I pause?** Yes…", "- **Can I pause?** Yes…", "Q: Can I pause?" (the answer may follow)
_QUESTION = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)(?P<bold>[^*_\n]+?\?)(?:\*\*|__)[ \t]*(?P<rest>.*)$"
    r"|^[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?Q(?:uestion)?[:.](?:\*\*)?[ \t]+(?P<q>.+?\?)[ \t]*$"
)
_ANSWER_MARK = re.compile(r"^[ \t]*(?:\*\*)?A(?:nswer)?[:.](?:\*\*)?[ \t]+")
_TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}")
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
    for title, body in _faq_entries(_sections(text, default_title=source)):
        chunks = _table_chunks(body, max_chars) or _chunks(body, max_chars)
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

    def open_section(level: int, name: str) -> None:
        nonlocal path
        close()
        path = [(lvl, n) for lvl, n in path if lvl < level]
        path.append((level, name.strip()))

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        underline = None if in_fence or heading else _SETEXT.match(line)
        if heading is not None:
            open_section(len(heading.group(1)), heading.group(2))
        elif underline is not None and lines and lines[-1].strip() and not _is_block(lines[-1]):
            name = lines.pop()
            open_section(1 if underline.group(1)[0] == "=" else 2, name)
        else:
            lines.append(line)
    close()
    return sections


def _is_block(line: str) -> bool:
    """A line that cannot be a setext heading's text (a list item, a table row, a quote)."""
    return bool(re.match(r"^[ \t]*(?:[-*+>|]|\d+[.)])", line))


def _faq_entries(sections: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sections with two or more FAQ questions cut into one entry per question.

    Text before the first question stays under the section's own title. The question is the
    entry's last heading (and so its section), and it leads the entry's text as well.
    """
    entries: list[tuple[str, str]] = []
    for title, body in sections:
        lines = body.splitlines()
        starts = [i for i, line in enumerate(lines) if _QUESTION.match(line)]
        if len(starts) < 2:
            entries.append((title, body))
            continue
        intro = "\n".join(lines[: starts[0]]).strip()
        if intro:
            entries.append((title, intro))
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
            match = _QUESTION.match(lines[start])
            assert match is not None
            question = (match.group("bold") or match.group("q")).strip()
            answer = [match.group("rest") or "", *lines[start + 1 : end]]
            text = "\n".join(_ANSWER_MARK.sub("", line, count=1) for line in answer).strip()
            entries.append((f"{title}{TITLE_SEPARATOR}{question}", f"{question}\n{text}".strip()))
    return entries


def _table_chunks(text: str, max_chars: int) -> list[str]:
    """A section that is one long table, cut between rows with its header row in every part;
    [] for anything else (``_chunks`` cuts it)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if (
        len(text) <= max_chars
        or len(lines) < 3
        or not all(_TABLE_ROW.match(line) for line in lines)
        or not _TABLE_RULE.match(lines[1])
    ):
        return []
    header = "\n".join(lines[:2])
    chunks: list[str] = []
    current = header
    for row in lines[2:]:
        if len(current) + 1 + len(row) > max_chars and current != header:
            chunks.append(current)
            current = header
        current = f"{current}\n{row}"
    chunks.append(current)
    return chunks


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
