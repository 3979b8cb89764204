"""GET /api/v1/search: the contract, paging and sorting, and a 400 for every malformed query."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from search.worker import Worker
from tests.conftest import File, User
from tests.search.conftest import search, settle


def assert_bad_search(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400
    for word in words:
        assert word in body["detail"], body["detail"]


@pytest.fixture
async def filed(worker: Worker, file_document: File) -> list[dict[str, Any]]:
    documents = [
        await file_document("office/testPDF.pdf", title="Tika page", document_date="2024-05-01"),
        await file_document("office/testWORD.docx", title="Word sample", doc_type="licence"),
        await file_document("office/testRTF.rtf", title="Indexation", document_date="2025-01-09"),
    ]
    await settle(worker)
    return documents


async def test_search_answers_the_contract_shape(caseworker: User, filed: list[Any]) -> None:
    found = await search(caseworker.client, "sample")

    assert set(found) == {"total", "items", "next_cursor"}
    [hit] = found["items"]
    assert set(hit) == {
        "document_id",
        "version",
        "case_id",
        "title",
        "doc_type",
        "score",
        "snippet",
    }
    assert hit["document_id"] == filed[1]["id"]
    assert hit["case_id"] == filed[1]["case_id"]
    assert hit["doc_type"] == "licence"
    assert hit["score"] > 0


async def test_search_filters_by_case_and_doc_type(caseworker: User, filed: list[Any]) -> None:
    case_id = filed[0]["case_id"]

    assert (await search(caseworker.client, "sample", doc_type="licence"))["total"] == 1
    assert (await search(caseworker.client, "sample", doc_type="other"))["total"] == 0
    assert (await search(caseworker.client, "sample", case_id=case_id))["total"] == 1
    assert (await search(caseworker.client, f"sample case:{case_id}"))["total"] == 1


async def test_search_prefix_and_boolean_operators(caseworker: User, filed: list[Any]) -> None:
    assert (await search(caseworker.client, "toolk*"))["total"] == 1
    assert (await search(caseworker.client, "toolkit OR sample"))["total"] == 2
    assert (await search(caseworker.client, "(toolkit OR sample) NOT word"))["total"] == 1


async def test_search_date_range_and_sorting_by_date(caseworker: User, filed: list[Any]) -> None:
    in_2024 = await search(
        caseworker.client, "title:tika OR title:indexation date:2024-01-01..2024-12-31"
    )
    by_date = await search(caseworker.client, "title:tika OR title:indexation", sort="date")

    assert [h["title"] for h in in_2024["items"]] == ["Tika page"]
    assert [h["title"] for h in by_date["items"]] == ["Indexation", "Tika page"]


async def test_search_pages_with_a_cursor(caseworker: User, filed: list[Any]) -> None:
    first = await search(
        caseworker.client, "title:tika OR title:word OR title:indexation", limit="2"
    )
    second = await search(
        caseworker.client,
        "title:tika OR title:word OR title:indexation",
        limit="2",
        cursor=first["next_cursor"],
    )

    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["next_cursor"] is None
    seen = {h["document_id"] for h in first["items"] + second["items"]}
    assert seen == {d["id"] for d in filed}


async def test_search_snippet_escapes_the_document_text(
    worker: Worker, caseworker: User, file_document: File
) -> None:
    await file_document(
        "note.txt", content=b"<script>alert(1)</script> breach of licence conditions"
    )
    await settle(worker)

    [hit] = (await search(caseworker.client, "breach"))["items"]

    assert "<script>" not in hit["snippet"]
    assert "&lt;script&gt;" in hit["snippet"]
    assert "<b>breach</b>" in hit["snippet"]


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ('"risk of harm', ["never closed"]),
        ("NOT", ["must be followed"]),
        ("report NOT", ["must be followed"]),
        ("NOT report", ["cannot only exclude"]),
        ("x" * 10_000, ["10000 characters", "at most 500"]),
        ("report\x07", ["control character", "U+0007"]),
        ("colour:red", ["no field 'colour'", "type:"]),
        ("a*", ["at least 2 letters"]),
        ("date:31/12/2024", ["not a date", "YYYY-MM-DD"]),
        ("date:9999-12-31..", ["outside the dates searched", "1678 to 2261"]),
        ("report date:..0001-01-01", ["outside the dates searched"]),
        ("fox -", ["must be followed by a word"]),
        ("ab*c", ["character 3"]),
        ("licence OR NOT variation", ["NOT cannot be one side of an OR"]),
        ("", ["empty"]),
    ],
    ids=[
        "unbalanced-quote",
        "lone-not",
        "trailing-not",
        "only-not",
        "10000-characters",
        "control-character",
        "unknown-field",
        "short-prefix",
        "bad-date",
        "date-after-2261",
        "date-before-1678",
        "trailing-minus",
        "star-inside",
        "or-not",
        "empty",
    ],
)
async def test_search_malformed_query_is_a_400_that_says_why(
    caseworker: User, q: str, words: list[str]
) -> None:
    response = await caseworker.client.get("/search", params={"q": q})

    assert_bad_search(response, *words)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"q": "a", "sort": "size"}, ["sort must be relevance or date"]),
        ({"q": "report", "limit": "0"}, ["limit must be between 1 and 100"]),
        ({"q": "report", "limit": "1000"}, ["limit must be between 1 and 100"]),
        ({"q": "report", "limit": "1e2"}, ["limit must be between 1 and 100"]),
        ({"q": "report", "limit": "9" * 30}, ["limit must be between 1 and 100"]),
        ({"q": "report", "cursor": "abc"}, ["cursor"]),
        ({"q": "report", "cursor": "99999999"}, ["cursor"]),
        ({"q": "report", "all_versions": "perhaps"}, ["all_versions must be true or false"]),
    ],
)
async def test_search_malformed_parameters_are_400s(
    caseworker: User, params: dict[str, str], words: list[str]
) -> None:
    assert_bad_search(await caseworker.client.get("/search", params=params), *words)


@pytest.mark.parametrize("name", ["q", "limit"])
async def test_search_repeated_parameter_is_refused(caseworker: User, name: str) -> None:
    response = await caseworker.client.get(f"/search?q=report&limit=2&{name}=3")

    assert_bad_search(response, f"give {name} once")


async def test_search_needs_a_signed_in_user(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/v1/search", params={"q": "report"})

    assert response.status_code == 401


async def test_search_punctuation_only_word_finds_nothing_rather_than_failing(
    caseworker: User, filed: list[Any]
) -> None:
    assert (await search(caseworker.client, "!!!"))["total"] == 0


async def test_readyz_reports_the_extractor_and_the_index(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/readyz")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "down": []}


@pytest.mark.parametrize(
    "q", ["sample ???", "\ufeffsample", "sample \u202e", "\uff53\uff41\uff4d\uff50\uff4c\uff45"]
)
async def test_search_ignores_what_holds_no_word_and_reads_compatibility_forms(
    caseworker: User, filed: list[Any], q: str
) -> None:
    assert (await search(caseworker.client, q))["total"] == 1


async def test_search_scores_come_from_the_rank_alone(caseworker: User, filed: list[Any]) -> None:
    found = await search(caseworker.client, "title:tika OR title:word OR title:indexation OR lorem")

    # From the rank alone, so no other team's documents can move them.
    scores = [h["score"] for h in found["items"]]
    assert scores == [round(1 / (1 + rank), 4) for rank in range(len(scores))]
    second_page = await search(
        caseworker.client, "title:tika OR title:word OR title:indexation", limit="1", cursor="1"
    )
    assert second_page["items"][0]["score"] == 0.5
