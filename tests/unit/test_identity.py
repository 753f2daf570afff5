import pytest

from shared.identity import InvalidIdentifier, normalize_email, normalize_phone


def test_email_is_lower_cased_and_trimmed() -> None:
    assert normalize_email("  Ada@Example.COM ") == "ada@example.com"


@pytest.mark.parametrize(
    "bad", ["", "ada", "ada@", "@example.com", "ada@@example.com", "a b@example.com"]
)
def test_malformed_email_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalize_email(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 415 555 2671", "+14155552671"),
        ("(415) 555-2671", "+14155552671"),
        ("whatsapp:+14155552671", "+14155552671"),
        ("WhatsApp:+44 7911 123456", "+447911123456"),
    ],
)
def test_phone_numbers_become_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("bad", ["12", "not a number", "+1 000 000 0000", "whatsapp:"])
def test_invalid_phone_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalize_phone(bad)


def test_default_region_applies_to_national_numbers() -> None:
    assert normalize_phone("07911 123456", default_region="GB") == "+447911123456"


def test_fictional_ranges_pass_only_when_not_strict() -> None:
    with pytest.raises(InvalidIdentifier):
        normalize_phone("+44 7700 900123")
    assert normalize_phone("+44 7700 900123", strict=False) == "+447700900123"
