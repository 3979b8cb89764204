"""Finding an offender (by name, date of birth or an identifier), their page, changing them.

records.offenders applies every rule (who may change a person's record, dates
no life can have, one NOMS number per person); the page gathers the form,
keeps what was typed when something is refused, and says why beside the field.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import cases, offenders, vocabulary
from records.actors import Actor
from records.errors import Duplicate, InvalidInput, MalformedInput, StaleRevision
from records.offenders import IDENTIFIERS, LIFE_DATES
from server.state import services
from web import session
from web.casework import add_problems, person_name, read_date, split_date
from web.forms import FormErrors, sentence
from web.page import page

OFFENDERS_PER_PAGE = 20
CASES_PER_PAGE = 20

IDENTIFIER_LABELS = {
    "nomis_number": "NOMS number",
    "prison_number": "Prison number",
    "pnc_number": "PNC ID",
    "cro_number": "CRO number",
    "crn": "Probation case reference (CRN)",
}
SEARCH_FIELDS = ("q", "born-day", "born-month", "born-year")

DATE_FIELDS = ("date_of_birth", *LIFE_DATES)
DATE_LABELS = {
    "date_of_birth": "Date of birth",
    "sentence_expiry_date": "Sentence expiry date",
    "licence_expiry_date": "Licence expiry date",
    "date_of_death": "Date of death",
}
LABELS = {
    "family_name": "Family name",
    "given_names": "Given names",
    "aliases": "Also known as",
    **IDENTIFIER_LABELS,
    **DATE_LABELS,
}
# The details form's fields but its revision, as its inputs are named: names,
# identifiers and aliases typed, the dates in three boxes each.
FORM_KEYS = (
    "family_name",
    "given_names",
    *IDENTIFIERS,
    "aliases",
    *(f"{name}-{part}" for name in DATE_FIELDS for part in ("day", "month", "year")),
)
FORM_IDS = {
    **{name: name for name in ("family_name", "given_names", *IDENTIFIERS, "aliases")},
    **{name: f"{name}-day" for name in DATE_FIELDS},
}
STALE = (
    "Someone else changed this person's details since you opened the page. "
    "The form now shows the details as they are: make your change again"
)


async def search(request: Request) -> Response:
    """The search form, and when something was asked, one page of matches."""
    signed_in = await session.signed_in(request)
    values = {name: request.query_params.get(name, "") for name in SEARCH_FIELDS}
    errors = FormErrors()
    born = read_date(values, "born", errors, label="Date of birth")
    asked = bool(values["q"].strip() or born)

    found: list[dict[str, Any]] = []
    next_link = None
    if asked and not errors:
        try:
            listed = await offenders.search_offenders(
                services(request).store,
                signed_in.actor,
                values["q"],
                born=born,
                limit=OFFENDERS_PER_PAGE,
                cursor=request.query_params.get("cursor") or None,
            )
        except InvalidInput as exc:
            add_problems(errors, exc, ids={"q": "q", "cursor": "q"})
        else:
            found = [_row(o) for o in listed.items]
            if listed.next_cursor:
                next_link = "/offenders?" + urlencode({**values, "cursor": listed.next_cursor})
    return await page(
        request,
        "offenders.html",
        status=422 if errors else 200,
        errors=errors,
        values=values,
        asked=asked and not errors,
        offenders=found,
        next_link=next_link,
        csv_query=urlencode({k: v for k, v in values.items() if v}),
    )


def _row(offender: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(offender["_id"]),
        "name": person_name(offender),
        "date_of_birth": offender["date_of_birth"],
        "nomis_number": offender.get("nomis_number") or "",
        "pnc_number": offender.get("pnc_number") or "",
        "cro_number": offender.get("cro_number") or "",
    }


async def offender_page(request: Request) -> Response:
    """Identifiers, dates, aliases and the cases the user may see; the details form if theirs."""
    signed_in = await session.signed_in(request)
    return await _offender_page(request, signed_in.actor, request.path_params["offender_id"])


async def change(request: Request) -> Response:
    """Save the details form; a change someone made meanwhile is shown, never overwritten."""
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    offender_id = request.path_params["offender_id"]
    found = await offenders.get_offender(store, signed_in.actor, offender_id)
    await offenders.require_may_change(store, signed_in.actor, found)

    values = {
        key: session.text(form, key, strip=key != "aliases") for key in (*FORM_KEYS, "revision")
    }
    revision = values["revision"]
    if not (revision.isascii() and revision.isdigit()) or len(revision) > 18:
        raise MalformedInput("the form's revision is not a number")
    # The details as the form first showed them, to tell what this person changed.
    was = {key: session.text(form, f"was-{key}", strip=key != "aliases") for key in FORM_KEYS}
    if not any(f"was-{key}" in form for key in FORM_KEYS):
        was = _form_values(found)

    errors = FormErrors()
    dates = {
        name: read_date(
            values, name, errors, label=DATE_LABELS[name], required=name == "date_of_birth"
        )
        for name in DATE_FIELDS
    }
    # Every field is on the form: an identifier or a date left empty is one to remove.
    changes: dict[str, Any] = {
        "family_name": values["family_name"],
        "given_names": values["given_names"],
        **{name: values[name] or None for name in IDENTIFIERS},
        "aliases": [line.strip() for line in values["aliases"].splitlines() if line.strip()],
        **dates,
    }
    unsaved: list[tuple[str, str]] = []
    if not errors:
        try:
            await offenders.update_offender(
                store, signed_in.actor, offender_id, changes, expected_revision=int(revision)
            )
        except StaleRevision:
            errors.add("family_name", STALE)
            # The whole form is sent, the fields not touched too: kept as typed, saving
            # again would undo the other change. So the form shows the record as it is
            # now, and what this person changed on the form is listed, to enter again.
            unsaved = _differences(values, was)
            values = was = _form_values(found)
        except Duplicate as exc:
            errors.add("nomis_number", sentence(exc.detail))
        except InvalidInput as exc:
            add_problems(errors, exc, ids=FORM_IDS, labels=LABELS)
        else:
            return RedirectResponse(f"/offenders/{offender_id}?done=changed", status_code=303)
    return await _offender_page(
        request,
        signed_in.actor,
        offender_id,
        errors=errors,
        values=values,
        was=was,
        unsaved=unsaved,
        status=422,
    )


async def _offender_page(
    request: Request,
    actor: Actor,
    offender_id: str,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    was: dict[str, str] | None = None,
    unsaved: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    store = services(request).store
    offender = await offenders.get_offender(store, actor, offender_id)

    listed = await cases.list_cases(
        store,
        actor,
        offender_id=offender_id,
        limit=CASES_PER_PAGE,
        cursor=request.query_params.get("cursor") or None,
    )
    case_types = {v["code"]: v["label"] for v in await vocabulary.values(store, "case_types")}
    identifiers = [
        (IDENTIFIER_LABELS[name], offender[name]) for name in IDENTIFIERS if offender.get(name)
    ]
    life_dates = [(DATE_LABELS[name], offender.get(name)) for name in LIFE_DATES]
    return await page(
        request,
        "offender.html",
        status=status,
        offender={
            "id": offender_id,
            "name": person_name(offender),
            "date_of_birth": offender["date_of_birth"],
            "aliases": offender.get("aliases", []),
        },
        identifiers=identifiers,
        life_dates=life_dates,
        cases=[
            {
                "id": str(c["_id"]),
                "title": c["title"],
                "case_type": case_types.get(c["case_type"], c["case_type"]),
                "team": c["team"],
                "state": c["state"].replace("_", " "),
                "created_at": c["created_at"],
            }
            for c in listed.items
        ],
        next_cursor=listed.next_cursor,
        may_change=await offenders.may_change(store, actor, offender),
        errors=errors or FormErrors(),
        values=values or _form_values(offender),
        was={
            key: value for key, value in (was or _form_values(offender)).items() if key in FORM_KEYS
        },
        unsaved=unsaved or [],
        identifier_fields=[(name, IDENTIFIER_LABELS[name]) for name in IDENTIFIERS],
        date_fields=[(name, DATE_LABELS[name]) for name in LIFE_DATES],
        done="The details were saved." if request.query_params.get("done") == "changed" else None,
    )


def _differences(typed: dict[str, str], was: dict[str, str]) -> list[tuple[str, str]]:
    """Each field changed on the form from what it first showed, as (label, what was typed)."""
    order = ("family_name", "given_names", "date_of_birth", *IDENTIFIERS, "aliases", *LIFE_DATES)
    return [found for name in order for found in _difference(name, typed, was)]


def _difference(name: str, typed: dict[str, str], was: dict[str, str]) -> list[tuple[str, str]]:
    if name in DATE_FIELDS:
        parts = [f"{name}-{p}" for p in ("day", "month", "year")]
        if [typed[p].lstrip("0") for p in parts] == [was[p].lstrip("0") for p in parts]:
            return []
        shown = " ".join(typed[p] for p in parts if typed[p])
    else:
        mine = _as_saved(name, typed[name])
        if mine == _as_saved(name, was[name]):
            return []
        shown = "; ".join(mine)
    return [(LABELS[name], shown or "(left empty)")]


def _as_saved(name: str, value: str) -> list[str]:
    # As records.offenders would store it: trimmed, composed, identifiers in capitals.
    lines = [unicodedata.normalize("NFC", line.strip()) for line in value.splitlines()]
    return [line.upper() if name in IDENTIFIERS else line for line in lines if line]


def _form_values(offender: dict[str, Any]) -> dict[str, str]:
    """The stored record as the form's fields."""
    values = {name: offender.get(name) or "" for name in ("family_name", "given_names")}
    values |= {name: offender.get(name) or "" for name in IDENTIFIERS}
    values["aliases"] = "\n".join(offender.get("aliases") or [])
    values["revision"] = str(offenders.revision_of(offender))
    for name in DATE_FIELDS:
        parts = split_date(offender.get(name))
        values |= {f"{name}-{part}": value for part, value in parts.items()}
    return values


routes = [
    Route("/offenders", search, methods=["GET"], include_in_schema=False),
    Route("/offenders/{offender_id}", offender_page, methods=["GET"], include_in_schema=False),
    Route("/offenders/{offender_id}", change, methods=["POST"], include_in_schema=False),
]
