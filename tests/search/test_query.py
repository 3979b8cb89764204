"""The search language: what it understands, and a sentence for everything it does not."""

from __future__ import annotations

from datetime import date

import pytest

from search.errors import MalformedQuery
from search.query import AllOf, AnyOf, DateRange, Exact, Not, Prefix, Words, parse


def test_query_words_are_all_required() -> None:
    assert parse("psychiatric report") == AllOf((Words("psychiatric"), Words("report")))


def test_query_phrase_or_word() -> None:
    assert parse('"risk of harm" OR breach') == AnyOf(
        (Words("risk of harm", phrase=True), Words("breach"))
    )


def test_query_and_binds_tighter_than_or() -> None:
    assert parse("a AND b OR c") == AnyOf((AllOf((Words("a"), Words("b"))), Words("c")))


def test_query_not_and_minus_exclude() -> None:
    assert parse("licence NOT variation -breach") == AllOf(
        (Words("licence"), Not(Words("variation")), Not(Words("breach")))
    )


def test_query_brackets_group() -> None:
    assert parse("(recall OR breach) licence") == AllOf(
        (AnyOf((Words("recall"), Words("breach"))), Words("licence"))
    )


def test_query_prefix_and_fields() -> None:
    assert parse("assess* title:licence type:Parole_Report") == AllOf(
        (Prefix("assess"), Words("licence", "title"), Exact("type", "Parole_Report"))
    )


def test_query_field_takes_a_phrase() -> None:
    assert parse('filename:"board report"') == Words("board report", "filename", phrase=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date:2025-03-04", DateRange(date(2025, 3, 4), date(2025, 3, 4))),
        ("date:2024-01-01..2024-12-31", DateRange(date(2024, 1, 1), date(2024, 12, 31))),
        ("date:..2024-12-31", DateRange(None, date(2024, 12, 31))),
        ("date:2024-01-01..", DateRange(date(2024, 1, 1), None)),
    ],
)
def test_query_dates_and_ranges(text: str, expected: DateRange) -> None:
    assert parse(f"{text} report") == AllOf((expected, Words("report")))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"unbalanced', "never closed"),
        ('report "risk of', "character 8"),
        ("NOT", "must be followed"),
        ("report NOT", "must be followed"),
        ("NOT report", "cannot only exclude"),
        ("-report", "cannot only exclude"),
        ("a" * 10_000, "10000 characters"),
        ("report\x00", "control character"),
        ("report\x1b[31m", "U+001B"),
        ("colour:red", "no field 'colour'"),
        ("Subject:recall", "the fields are"),
        ("type:", "needs a value"),
        ("a OR", "needs something after"),
        ("OR a", "needs something before"),
        ("a AND", "needs something after"),
        ("(report", "never closed"),
        ("report)", "unexpected ')'"),
        ("()", "empty"),
        ("a*", "at least 2 letters"),
        ("as*sess", "may only end a word"),
        ('""', "hold nothing"),
        ("date:2025-13-01", "not a date"),
        ("date:2025-3-1", "not a date"),
        ("date:2025-02-01..2025-01-01", "ends before it starts"),
        ("(" * 20 + "a" + ")" * 20, "nested"),
        ("   ", "empty"),
        ("", "empty"),
    ],
)
def test_query_malformed_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(MalformedQuery) as raised:
        parse(text)

    assert words in raised.value.detail
    assert len(raised.value.detail) < 300


def test_query_with_too_many_clauses_is_refused() -> None:
    with pytest.raises(MalformedQuery, match="more than 64"):
        parse(" ".join(f"w{i}" for i in range(80)))


def test_query_keeps_tabs_and_newlines_as_spaces() -> None:
    assert parse("risk\tof\nharm") == AllOf((Words("risk"), Words("of"), Words("harm")))
