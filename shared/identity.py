"""Who a customer is: the normalised email and phone identifiers every channel resolves to."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

WHATSAPP_PREFIX = "whatsapp:"


class InvalidIdentifier(ValueError):
    """An email address or phone number that cannot identify anyone."""


def normalize_email(raw: str) -> str:
    """Return the address lower-cased and validated (syntax only: no DNS here)."""
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidIdentifier(str(exc)) from exc
    return valid.normalized.lower()


def normalize_phone(raw: str, default_region: str = "US", *, strict: bool = True) -> str:
    """Return the number in E.164; accepts Twilio's ``whatsapp:+…`` form.

    ``strict`` also requires the number to be in an assigned range; without it a number of a
    possible length is enough (fictional test ranges such as +44 7700 900xxx pass).
    """
    text = raw.strip()
    if text.lower().startswith(WHATSAPP_PREFIX):
        text = text[len(WHATSAPP_PREFIX) :]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(f"not a phone number: {exc}") from exc
    valid = phonenumbers.is_valid_number if strict else phonenumbers.is_possible_number
    if not valid(number):
        raise InvalidIdentifier("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
