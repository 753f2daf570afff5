"""How markdown documents become knowledge-base passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.kb.passages import MAX_CHARS, Passage, split_markdown

CONTEXT = Path(__file__).resolve().parents[2] / "shared" / "context"

DOC = """# Product docs

Welcome to the help centre.

## Resetting your password

Click **Forgot password?**.

## Two-factor authentication

### Backup codes

Keep them safe.

#### Printing them

Use the print button.

## Empty section

## Closing words # with a trailing hash #

Bye.
"""


def titles(passages: list[Passage]) -> list[str]:
    return [p.title for p in passages]


def test_each_heading_starts_a_passage_titled_by_its_heading_path() -> None:
    passages = split_markdown(DOC, "product-docs.md")
    assert titles(passages) == [
        "Product docs",
        "Product docs › Resetting your password",
        "Product docs › Two-factor authentication › Backup codes",
        "Product docs › Two-factor authentication › Backup codes › Printing them",
        "Product docs › Closing words # with a trailing hash",
    ]
    assert {p.source for p in passages} == {"product-docs.md"}


def test_the_content_is_the_section_text_without_its_heading_line() -> None:
    password = split_markdown(DOC, "docs.md")[1]
    assert password.content == "Click **Forgot password?**."


def test_deeper_headings_start_sections_of_their_own() -> None:
    """Other companies' docs nest deeper than ###: a #### section is as findable as any."""
    backup, printing = split_markdown(DOC, "docs.md")[2:4]
    assert backup.content == "Keep them safe."
    assert (printing.section, printing.content) == ("Printing them", "Use the print button.")


def test_sections_without_text_are_skipped() -> None:
    found = titles(split_markdown(DOC, "docs.md"))
    assert not any("Empty section" in t or t.endswith("Two-factor authentication") for t in found)
    assert split_markdown("# Only a heading\n\n   \n", "x.md") == []
    assert split_markdown("", "x.md") == []


def test_text_before_the_first_heading_is_titled_by_its_source() -> None:
    passages = split_markdown("Some preface.\n\n# Title\n\nBody.", "notes.md")
    assert [(p.title, p.content) for p in passages] == [
        ("notes.md", "Some preface."),
        ("Title", "Body."),
    ]


def test_a_heading_at_a_higher_level_closes_the_deeper_path() -> None:
    text = "# A\n\n## B\n\n### C\n\nc\n\n## D\n\nd\n\n# E\n\ne"
    assert titles(split_markdown(text, "x.md")) == ["A › B › C", "A › D", "E"]


def test_hash_signs_inside_a_code_fence_are_not_headings() -> None:
    text = "# Shell\n\n```bash\n# a comment, not a heading\necho hi\n```\n"
    (passage,) = split_markdown(text, "x.md")
    assert passage.title == "Shell"
    assert "# a comment, not a heading" in passage.content


def test_a_long_section_is_cut_on_paragraph_boundaries_into_numbered_parts() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 60 for i in range(12)]
    text = "# Guide\n\n## Long one\n\n" + "\n\n".join(p.strip() for p in paragraphs)
    passages = split_markdown(text, "guide.md", max_chars=1_000)
    assert len(passages) > 1
    assert passages[0].title == "Guide › Long one"
    assert titles(passages)[1:] == [
        f"Guide › Long one (part {n})" for n in range(2, len(passages) + 1)
    ]
    assert all(len(p.content) <= 1_000 for p in passages)
    assert all(chunk.startswith("Paragraph") for p in passages for chunk in p.content.split("\n\n"))
    rejoined = "\n\n".join(p.content for p in passages)
    assert rejoined == "\n\n".join(p.strip() for p in paragraphs)


def test_a_paragraph_longer_than_the_limit_is_cut_on_sentences_then_words() -> None:
    sentences = " ".join(f"Sentence number {i} says something." for i in range(100))
    one_word = "x" * 250
    passages = split_markdown(f"# S\n\n{sentences}\n\n{one_word}", "x.md", max_chars=200)
    assert all(len(p.content) <= 200 for p in passages)
    assert all(p.content.endswith(".") for p in passages if "Sentence" in p.content)
    assert "".join(p.content for p in passages if "x" * 10 in p.content) == one_word


def test_the_content_hash_changes_with_source_title_or_content_and_nothing_else() -> None:
    base = Passage(source="a.md", title="T", content="C")
    assert base.content_hash == Passage(source="a.md", title="T", content="C").content_hash
    assert len(base.content_hash) == 64
    others = [Passage("b.md", "T", "C"), Passage("a.md", "T2", "C"), Passage("a.md", "T", "C2")]
    assert base.content_hash not in {p.content_hash for p in others}
    assert Passage("a", "bc", "d").content_hash != Passage("ab", "c", "d").content_hash


def test_the_embedded_text_leads_with_the_title() -> None:
    passage = Passage(source="a.md", title="Docs › Resetting your password", content="Click.")
    assert passage.embedding_text == "Docs › Resetting your password\n\nClick."


def test_the_section_is_the_last_heading_without_its_part_number() -> None:
    passage = Passage(source="a.md", title="Docs › Error NW-409: conflict (part 2)", content="x")
    assert passage.section == "Error NW-409: conflict"


def test_every_section_of_the_real_product_docs_becomes_passages_under_the_limit() -> None:
    text = (CONTEXT / "product-docs.md").read_text(encoding="utf-8")
    passages = split_markdown(text, "product-docs.md")
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert [h for h in headings if h not in {p.section for p in passages}] == []
    assert all(0 < len(p.content) <= MAX_CHARS for p in passages)
    assert all(p.title.startswith("Northwind Cloud product documentation") for p in passages)
    assert len({p.content_hash for p in passages}) == len(passages)


# Markdown as other companies write it (invented for these tests).
OTHER_DOCS = """Help
====

Intro text.

Accounts
--------

#### Closing an account

Close it under Settings.

##### Data kept afterwards

Invoices only.

## FAQ

**Can I pause my plan?**
Yes, for up to three months.

**Is there a mobile app?**
Yes, on iOS and Android.

## More questions

- **Do you ship abroad?** Only within the EU.
- **Can I change the address?** Until the box is packed.

## Q and A

Q: How long is the trial?
A: Fourteen days.

Q: Do I need a card for the trial?
A: No.
"""


def test_headings_of_any_depth_and_setext_headings_make_sections() -> None:
    titles = [p.title for p in split_markdown(OTHER_DOCS, source="help.md")]
    assert titles[:3] == [
        "Help",
        "Help › Accounts › Closing an account",
        "Help › Accounts › Closing an account › Data kept afterwards",
    ]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Can I pause my plan?", "for up to three months"),
        ("Is there a mobile app?", "iOS and Android"),
        ("Do you ship abroad?", "Only within the EU"),
        ("Can I change the address?", "Until the box is packed"),
        ("How long is the trial?", "Fourteen days"),
        ("Do I need a card for the trial?", "No."),
    ],
)
def test_every_faq_question_is_a_passage_of_its_own(question: str, answer: str) -> None:
    by_section = {p.section: p for p in split_markdown(OTHER_DOCS, source="help.md")}
    passage = by_section[question]
    assert passage.content.startswith(question)
    assert answer in passage.content
    assert "A:" not in passage.content
    assert sum(question in p.content for p in by_section.values()) == 1


def test_a_single_bold_question_is_not_an_faq() -> None:
    text = "## Limits\n\n**What counts?**\nEvery build counts.\n"
    [passage] = split_markdown(text, source="limits.md")
    assert passage.section == "Limits"


def test_a_long_table_keeps_its_header_in_every_part() -> None:
    header = "| Code | Meaning |\n|------|---------|"
    rows = "\n".join(f"| E{n:03} | {'something went wrong ' * 4}|" for n in range(40))
    passages = split_markdown(f"## Error codes\n\n{header}\n{rows}\n", source="errors.md")
    assert len(passages) > 1
    for passage in passages:
        assert passage.content.startswith(header)
        assert len(passage.content) <= MAX_CHARS
    assert sum(p.content.count("| E0") for p in passages) == 40


def test_the_ingest_entry_point_without_a_database_url_prints_its_usage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.kb.ingest import main

    monkeypatch.delenv("DATABASE_URL", raising=False)

    assert main(["docs"]) == 2
    assert "usage: DATABASE_URL=" in capsys.readouterr().err
