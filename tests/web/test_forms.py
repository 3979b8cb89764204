"""How a records message about a field reads on a page."""

from __future__ import annotations

import pytest

from web.forms import field_sentence


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("must be a real date", "Document date must be a real date."),
        ("is required", "Document date is required."),
        ("enter the 6-digit code again", "Enter the 6-digit code again."),
        ("there is no team named 'x'", "There is no team named 'x'."),
        ("the file is empty", "The file is empty."),
    ],
)
def test_field_sentence_names_the_field_only_where_the_message_needs_it(
    message: str, shown: str
) -> None:
    assert field_sentence("Document date", message) == shown
