from shared.agent.formatting import SIGNATURE, WHATSAPP_LIMIT, format_reply, split_message


def test_email_reply_has_greeting_body_and_signature() -> None:
    [text] = format_reply("email", "Here is how.", customer_name="Ada Lovelace", limit=4000)
    assert text.startswith("Hi Ada,\n\n")
    assert "Here is how." in text
    assert text.endswith(SIGNATURE)


def test_email_body_is_cut_but_signature_kept_when_over_limit() -> None:
    [text] = format_reply("email", "x" * 5000, customer_name=None, limit=300)
    assert len(text) <= 300
    assert text.startswith("Hi there,")
    assert text.endswith(SIGNATURE)


def test_web_reply_is_plain_text_without_greeting() -> None:
    assert format_reply("web_form", "  Plain answer. ", customer_name="Ada", limit=2000) == [
        "Plain answer."
    ]


def test_whatsapp_reply_is_split_under_twilio_limit() -> None:
    body = "\n\n".join(f"Paragraph {i}: " + "word " * 150 for i in range(5))
    parts = format_reply("whatsapp", body, customer_name="Ada", limit=5000)
    assert len(parts) > 1
    assert all(len(p) <= WHATSAPP_LIMIT for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(body.split())


def test_split_keeps_short_text_whole() -> None:
    assert split_message("one\n\ntwo", 100) == ["one\n\ntwo"]


def test_split_breaks_a_long_paragraph_on_words() -> None:
    parts = split_message("alpha beta gamma delta", 11)
    assert parts == ["alpha beta", "gamma delta"]


def test_a_long_whatsapp_reply_is_cut_between_sentences_in_order() -> None:
    sentences = [
        f"Step {i}: open the settings page and choose option {i} there." for i in range(60)
    ]
    body = " ".join(sentences)
    parts = format_reply("whatsapp", body, customer_name=None, limit=5000)
    assert len(parts) >= 2
    assert all(len(p) <= WHATSAPP_LIMIT for p in parts)
    assert all(p.endswith(".") for p in parts)  # no sentence is cut in two
    assert " ".join(parts) == body  # nothing lost, nothing reordered


def test_a_sentence_longer_than_the_limit_is_cut_on_words() -> None:
    assert split_message("Short one. " + "word " * 6, 12) == [
        "Short one.",
        "word word",
        "word word",
        "word word",
    ]


def test_line_breaks_inside_a_paragraph_are_kept() -> None:
    text = "Steps:\n1. Open settings.\n2. Click reset."
    assert split_message(text, 1600) == [text]
    long = "\n".join(f"{i}. Open the page number {i} and click." for i in range(80))
    parts = split_message(long, 1600)
    assert len(parts) > 1
    assert "\n".join(parts) == long  # each cut falls on a line break
