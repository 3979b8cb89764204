"""Client JSON is read strictly: only what the records can keep and send back gets in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.errors import MalformedInput
from records.validation import (
    MAX_DEPTH,
    parse_json,
    spreadsheet_safe,
    spreadsheet_text,
    unstorable,
)

# Everything BSON holds and JSON sends back unchanged.
storable = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=["Cs"]), max_size=8).filter(
                lambda key: "\x00" not in key
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(storable)
def test_json_round_trips_anything_storable(value: Any) -> None:
    assert parse_json(json.dumps(value), what="it") == value


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"a": NaN}', "not finite"),
        ('{"a": Infinity}', "not finite"),
        ('{"a": -Infinity}', "not finite"),
        ('{"a": 1e400}', "not finite"),
        ('{"a": 9223372036854775808}', "too large"),
        ('{"a": -9223372036854775809}', "too large"),
        ('{"a": ' + "9" * 5000 + "}", "not valid JSON"),
        ('{"a": "\\ud800"}', "not valid Unicode"),
        ('{"\\udfff": 1}', "key"),
        ('{"a\\u0000": 1}', "key"),
        ('{"a": 1, "a": 2}', "appears twice"),
        ("[" * 5000 + "]" * 5000, "nested"),
        ('{"a": ' * (MAX_DEPTH + 2) + "1" + "}" * (MAX_DEPTH + 2), "nested"),
        ('{"a": 1', "not valid JSON"),
    ],
)
def test_json_refuses_what_cannot_be_kept(raw: str, words: str) -> None:
    with pytest.raises(MalformedInput) as refused:
        parse_json(raw, what="the body")

    assert refused.value.detail.startswith("the body ")
    assert words in refused.value.detail


def test_json_must_be_utf8() -> None:
    utf16 = '{"family_name": "Example"}'.encode("utf-16")

    with pytest.raises(MalformedInput, match="not UTF-8"):
        parse_json(utf16, what="the body")


def test_json_at_the_depth_limit_is_kept() -> None:
    nested: Any = 1
    for _ in range(MAX_DEPTH):
        nested = [nested]

    assert parse_json(json.dumps(nested), what="it") == nested
    assert unstorable([nested]) is not None


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_spreadsheet_text_gives_back_what_spreadsheet_safe_was_given(text: str) -> None:
    assert spreadsheet_text(spreadsheet_safe(text)) == text


@pytest.mark.parametrize(
    ("text", "cell"),
    [("=1+2", "'=1+2"), ("'=1+2", "''=1+2"), ("''", "'''"), ("'", "''"), ("'x", "''x"), ("x", "x")],
)
def test_spreadsheet_safe_quotes_formulas_and_apostrophes_once(text: str, cell: str) -> None:
    assert spreadsheet_safe(text) == cell
    assert spreadsheet_text(cell) == text
