"""The lists of values in the browser: each list's values, changed, retired, imported, exported.

records.list_values and records.list_csv apply every rule (who may change a
list, which values may be deleted, what a file must hold); these pages
gather the forms and show what was refused beside the field it concerns.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import list_csv, list_values
from records.actors import Actor
from records.errors import Conflict, ImportRefused, InvalidInput, TooLarge
from records.policy import Action, allows, require
from server.state import services
from web import session
from web.casework import add_problems, check_token, is_multipart
from web.forms import FormErrors, sentence
from web.page import page

VALUE_IDS = {"code": "code", "label": "label", "order": "order"}
# A form's boundary and part headers add a little to the file's own size.
MAX_IMPORT_FORM_BYTES = list_csv.MAX_IMPORT_BYTES + 64 * 1024
_DONE = {
    "added": "Value added",
    "changed": "Value changed",
    "retired": "Value retired: records holding it keep it, and new records cannot be given it",
    "restored": "Value restored: it can be chosen again",
    "deleted": "Value deleted",
}


async def lists_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await page(request, "lists.html", lists=list_values.list_summaries(signed_in.actor))


async def list_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _list_page(request, signed_in.actor)


async def export(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    name = request.path_params["list_name"]
    found = await list_values.read_list(
        services(request).store, signed_in.actor, name, include_retired=True
    )
    return Response(
        list_csv.export_csv(found["items"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found["name"]}.csv"'},
    )


async def add_value(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    name = request.path_params["list_name"]
    store = services(request).store
    values = {"code": session.text(form, "code"), "label": session.text(form, "label")}

    errors = FormErrors()
    if not values["code"]:
        errors.add("code", "Enter a code, as hmp_leeds")
    elif await _exists(request, name, values["code"]):
        errors.add("code", f"The list already has the code {values['code']}: change that value")
    else:
        try:
            await list_values.put_value(
                store, signed_in.actor, name, values["code"], {"label": values["label"]}
            )
        except InvalidInput as exc:
            add_problems(errors, exc, ids=VALUE_IDS)
        else:
            return _done(name, "added")
    return await _list_page(request, signed_in.actor, errors=errors, values=values, status=422)


async def value_form(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    require(signed_in.actor, Action.LISTS_MANAGE)
    value = await _value(request, signed_in.actor)
    shown = {"label": value["label"], "order": str(value["order"])}
    return await _value_page(request, value, values=shown)


async def change_value(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    value = await _value(request, signed_in.actor)
    values = {"label": session.text(form, "label"), "order": session.text(form, "order")}

    errors = FormErrors()
    body: dict[str, Any] = {"label": values["label"]}
    if values["order"].isascii() and values["order"].isdigit() and len(values["order"]) < 10:
        body["order"] = int(values["order"])
    else:
        errors.add("order", "Order must be a whole number, as 10")
    if not values["label"]:
        errors.add("label", "Enter a label")
    if not errors:
        try:
            await list_values.put_value(
                services(request).store,
                signed_in.actor,
                request.path_params["list_name"],
                value["code"],
                body,
            )
        except InvalidInput as exc:
            add_problems(errors, exc, ids=VALUE_IDS)
        else:
            return _done(request.path_params["list_name"], "changed")
    return await _value_page(request, value, values=values, errors=errors, status=422)


async def retire_value(request: Request) -> Response:
    """Retire the value, or with restore=yes bring it back."""
    signed_in, form = await session.read_signed_in_form(request)
    name, code = request.path_params["list_name"], request.path_params["code"]
    restore = session.text(form, "restore") == "yes"
    await _value(request, signed_in.actor)
    await list_values.put_value(
        services(request).store, signed_in.actor, name, code, {"retired": not restore}
    )
    return _done(name, "restored" if restore else "retired")


async def delete_value(request: Request) -> Response:
    signed_in, _form = await session.read_signed_in_form(request)
    name, code = request.path_params["list_name"], request.path_params["code"]
    errors = FormErrors()
    try:
        await list_values.delete_value(services(request).store, signed_in.actor, name, code)
    except Conflict as exc:
        errors.add(f"value-{code}", sentence(exc.detail))
    else:
        return _done(name, "deleted")
    return await _list_page(request, signed_in.actor, errors=errors, status=409)


async def import_file(request: Request) -> Response:
    """Check the file (action=check) or import it; either way, show every row's outcome."""
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    name = request.path_params["list_name"]
    if not is_multipart(request):
        await session.read_signed_in_form(request)  # the token is still checked first
        raise InvalidInput.field("file", "the import form is sent as multipart/form-data")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_FORM_BYTES:
        raise TooLarge(f"a list's CSV file is limited to {list_csv.MAX_IMPORT_BYTES} bytes")

    # The form's spooled file is closed when the block ends, whatever happens in it.
    async with request.form(max_files=1, max_fields=5) as form:
        # The token first, as on every form; then who may import, and into which list.
        check_token(form, signed_in.csrf_token)
        require(actor, Action.LISTS_MANAGE)
        list_values.definition(name)
        errors = FormErrors()
        report = await _import(request, form, name, errors)
    status = 422 if errors else 200
    return await _list_page(request, actor, import_errors=errors, report=report, status=status)


async def _import(
    request: Request, form: FormData, name: str, errors: FormErrors
) -> dict[str, Any] | None:
    """The import's report (None when no file was sent); errors gains what was refused."""
    part = form.get("file")
    if part is None or isinstance(part, str) or not part.filename:
        errors.add("file", "Choose a CSV file to import")
        return None
    raw = await part.read(list_csv.MAX_IMPORT_BYTES + 1)
    signed_in = await session.signed_in(request)
    try:
        report = await list_csv.import_csv(
            services(request).store,
            signed_in.actor,
            name,
            raw,
            dry_run=session.text(form, "action") == "check",
        )
    except ImportRefused as exc:
        errors.add("file", sentence(exc.detail))
        return exc.report
    except (TooLarge, InvalidInput) as exc:
        errors.add("file", sentence(exc.detail))
        return None
    if report["problems"] or any(r["problems"] for r in report["rows"]):
        errors.add("file", "The file has problems: nothing would be imported")
    return report


async def _exists(request: Request, name: str, code: str) -> bool:
    stored = await list_values.stored_values(services(request).store, name)
    return any(v["code"] == code for v in stored)


async def _value(request: Request, actor: Actor) -> dict[str, Any]:
    """The value named in the address; NotFound when the list has no such value."""
    require(actor, Action.LISTS_MANAGE)
    name, code = request.path_params["list_name"], request.path_params["code"]
    found = await list_values.read_list(services(request).store, actor, name, include_retired=True)
    value = next((v for v in found["items"] if v["code"] == code), None)
    if value is None:
        raise list_values.missing_value(name, code)
    return {**value, "list": found}


def _report_view(report: dict[str, Any]) -> dict[str, Any]:
    """The import's report with its problems written as sentences for the page."""
    rows = [
        {**row, "problems": " ".join(sentence(p) for p in row["problems"])}
        for row in report["rows"]
    ]
    return {**report, "rows": rows, "problems": [sentence(p) for p in report["problems"]]}


def _done(name: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/lists/{name}?done={what}", status_code=303)


async def _list_page(
    request: Request,
    actor: Actor,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    import_errors: FormErrors | None = None,
    report: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    store = services(request).store
    name = request.path_params["list_name"]
    found = await list_values.read_list(store, actor, name, include_retired=True)
    may_manage = allows(actor, Action.LISTS_MANAGE)
    in_use = await list_values.codes_in_use(store, name) if may_manage else set()
    return await page(
        request,
        "list.html",
        status=status,
        found=found,
        in_use=in_use,
        may_manage=may_manage,
        errors=errors or FormErrors(),
        values=values or {},
        import_errors=import_errors or FormErrors(),
        report=_report_view(report) if report else None,
        done=_DONE.get(request.query_params.get("done", "")),
    )


async def _value_page(
    request: Request,
    value: dict[str, Any],
    *,
    values: dict[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    return await page(
        request,
        "list_value.html",
        status=status,
        found=value["list"],
        value=value,
        values=values,
        errors=errors or FormErrors(),
    )


def _route(path: str, endpoint: Any, method: str = "GET") -> Route:
    return Route(path, endpoint, methods=[method], include_in_schema=False)


# The .csv route comes first: "/lists/{list_name}" would also match "case_types.csv".
routes = [
    _route("/lists", lists_page),
    _route("/lists/{list_name}.csv", export),
    _route("/lists/{list_name}", list_page),
    _route("/lists/{list_name}/values", add_value, "POST"),
    _route("/lists/{list_name}/import", import_file, "POST"),
    _route("/lists/{list_name}/values/{code}", value_form),
    _route("/lists/{list_name}/values/{code}", change_value, "POST"),
    _route("/lists/{list_name}/values/{code}/retire", retire_value, "POST"),
    _route("/lists/{list_name}/values/{code}/delete", delete_value, "POST"),
]
