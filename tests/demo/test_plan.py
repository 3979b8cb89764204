"""The demo set as planned and written, before anything is stored: people, identifiers, files."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter

import pikepdf
import pypdfium2
import pytest

from demo.load import render
from demo.people import CHECK_LETTERS, cro_number, pnc_number
from demo.plan import offender_plans
from records.offenders import NOMS
from records.vocabulary import DEFAULT_CASE_TYPES, DEFAULT_DOCUMENT_TYPES

PNC = re.compile(r"^(\d{4})/(\d{7})([A-Z])$")
CRO = re.compile(r"^(\d{6})/(\d{2})([A-Z])$")


def test_pnc_check_letters_match_published_examples() -> None:
    # PNC IDs from the Ministry of Justice person-record service's validator tests.
    for known in ("2001/0171310W", "2011/0275516Q", "2008/0056560Z", "1981/0154257C"):
        year, serial, _ = PNC.match(known).groups()  # type: ignore[union-attr]
        assert pnc_number(int(year), int(serial)) == known


def test_demo_identifiers_are_in_the_real_formats_with_correct_check_letters() -> None:
    people = [plan.person for plan in offender_plans(7, 300)]

    for who in people:
        assert NOMS.match(who.nomis_number) and who.nomis_number.startswith("Z")
        year, serial, check = PNC.match(who.pnc_number).groups()  # type: ignore[union-attr]
        assert check == CHECK_LETTERS[int(year[2:] + serial) % 23]
        serial, year, check = CRO.match(who.cro_number).groups()  # type: ignore[union-attr]
        assert cro_number(2000 + int(year), int(serial))[-1] == check
        assert who.date_of_birth.year >= 1962
    # A seed's NOMS numbers never repeat, so its offenders never collide with each other.
    assert len({who.nomis_number for who in people}) == len(people)


def test_same_seed_same_people_and_a_larger_set_extends_a_smaller() -> None:
    first = [plan.person for plan in offender_plans(3, 5)]
    again = [plan.person for plan in offender_plans(3, 12)]
    other = [plan.person for plan in offender_plans(4, 5)]

    assert again[:5] == first
    assert {p.nomis_number for p in other}.isdisjoint(p.nomis_number for p in first)
    assert [p.full_name for p in other] != [p.full_name for p in first]


def test_two_offenders_cover_every_case_type_and_common_document_type() -> None:
    plans = list(offender_plans(2026, 2))
    cases = [case for plan in plans for case in plan.cases]
    kinds = {document.doc_type for case in cases for document in case.documents}
    formats = Counter(document.fmt for case in cases for document in case.documents)

    assert {case.case_type for case in cases} == set(DEFAULT_CASE_TYPES)
    assert kinds <= set(DEFAULT_DOCUMENT_TYPES)
    assert {
        "part_a_recall_report",
        "licence",
        "oasys_assessment",
        "pre_sentence_report",
        "previous_convictions",
        "psychiatric_report",
        "representations",
        "decision_letter",
        "correspondence",
    } <= kinds
    assert set(formats) == {"pdf", "docx", "eml"}
    statuses = {m.status for case in cases for m in case.milestones}
    assert statuses == {"due", "overdue", "met"}


@pytest.mark.parametrize("fmt", ["pdf", "docx", "eml"])
def test_each_format_is_written_byte_for_byte_the_same_and_says_it_is_fictional(fmt: str) -> None:
    plan = next(offender_plans(2026, 1))
    case, document = next(
        (c, d) for c in plan.cases for d in c.documents if d.fmt == fmt and d.versions == 1
    )

    content = render(plan, case, document, 1)

    assert render(plan, case, document, 1) == content
    assert b"FICTIONAL DEMO DATA" in _first_page_text(fmt, content)


def test_a_later_version_is_a_different_file_that_says_what_changed() -> None:
    plan = next(offender_plans(2026, 1))
    case, document = next((c, d) for c in plan.cases for d in c.documents if d.versions == 3)

    files = [render(plan, case, document, number) for number in (1, 2, 3)]

    assert len(set(files)) == 3
    assert document.comments[1].encode() in _first_page_text(document.fmt, files[2])


def _first_page_text(fmt: str, content: bytes) -> bytes:
    """What the file's first page holds, crudely: enough to find a phrase in it."""
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(content)) as packed:
            return packed.read("word/document.xml")[:8000]
    if fmt == "pdf":
        with pikepdf.open(io.BytesIO(content)) as pdf:
            assert len(pdf.pages) >= 2, "every demo document runs to several pages"
        document = pypdfium2.PdfDocument(content)
        try:
            text: str = document[0].get_textpage().get_text_range()
        finally:
            document.close()
        return " ".join(text.split()).encode()
    return content[:3000]
