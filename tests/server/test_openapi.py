"""The published OpenAPI description is a valid one, whatever the routes' docstrings say."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# OpenAPI 3.1, "Response Object": the only fields it may have (extensions aside).
RESPONSE_FIELDS = {"description", "content", "headers", "links"}


def responses_of(description: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every response object with where it stands: each operation's, and the shared ones."""
    for path, item in description["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in operation.get("responses", {}).items():
                yield f"{method.upper()} {path} {status}", response
    for name, response in description["components"].get("responses", {}).items():
        yield f"components.responses.{name}", response


def nulls_in(value: Any, where: str = "") -> Iterator[str]:
    """Where a null stands in the document: YAML reads `{a: b, c}` as {a: b, c: null}."""
    if value is None:
        yield where
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from nulls_in(inner, f"{where}/{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from nulls_in(inner, f"{where}/{index}")


async def test_openapi_responses_have_only_valid_fields_and_a_text_description(
    anonymous: httpx.AsyncClient,
) -> None:
    description = (await anonymous.get("/api/v1/openapi.json")).json()

    wrong = []
    for where, response in responses_of(description):
        if set(response) == {"$ref"}:
            continue
        if set(response) - RESPONSE_FIELDS or not isinstance(response.get("description"), str):
            wrong.append((where, response))

    assert wrong == [], "\n".join(f"{where}: {response}" for where, response in wrong)


async def test_openapi_holds_no_null_left_by_an_unquoted_comma(
    anonymous: httpx.AsyncClient,
) -> None:
    description = (await anonymous.get("/api/v1/openapi.json")).json()

    nulls = list(nulls_in(description))

    assert nulls == [], "\n".join(nulls)
