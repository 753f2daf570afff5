from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.intake.web_form import FORM_SCHEMA_DIR, SupportForm, render_form_schemas

VALID = {
    "name": "Ada",
    "email": "Ada@Example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


def test_valid_form_is_normalised() -> None:
    form = SupportForm.model_validate({**VALID, "name": "  Ada  ", "phone": "(415) 555-2671"})
    assert (form.name, form.email, form.phone) == ("Ada", "ada@example.com", "+14155552671")
    assert (form.category, form.priority) == ("general", "medium")


def test_blank_phone_means_no_phone() -> None:
    assert SupportForm.model_validate({**VALID, "phone": "  "}).phone is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("email", "nope"),
        ("phone", "12"),
        ("subject", "hi"),
        ("message", "too short"),
        ("category", "sales"),
        ("priority", "urgent"),
        ("message", "x" * 5001),
    ],
)
def test_each_rule_names_the_bad_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        SupportForm.model_validate({**VALID, field: value})
    assert [e["loc"][0] for e in info.value.errors()] == [field]


def test_whitespace_does_not_count_towards_minimum_length() -> None:
    with pytest.raises(ValidationError):
        SupportForm.model_validate({**VALID, "message": "   short   "})


def test_browser_rules_are_generated_from_the_server_models() -> None:
    for name, text in render_form_schemas().items():
        assert (Path(FORM_SCHEMA_DIR) / name).read_text() == text, (
            f"{name} is stale: run `fte events schemas`"
        )
