"""The lists of values pages: administrators change, retire, import and export values."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx

from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import PASSWORD, File, MakeUser, User
from tests.web.conftest import Browsing, Person, pages_signed_in, sign_in


async def stored(store: Store, name: str) -> dict[str, dict[str, Any]]:
    found = await store.db["lists"].find_one({"_id": name})
    assert found is not None
    return {v["code"]: v for v in found["values"]}


async def test_admin_adds_changes_retires_restores_and_deletes_a_value(
    store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    token = await pages_signed_in(browser_client, admin)

    index = await browser_client.get("/lists")
    added = await browser_client.post(
        "/lists/establishments/values",
        data={"csrf_token": token, "code": "hmp_hull", "label": "HMP Hull"},
    )
    shown = await browser_client.get(added.headers["location"])
    form = await browser_client.get("/lists/establishments/values/hmp_hull")
    changed = await browser_client.post(
        "/lists/establishments/values/hmp_hull",
        data={"csrf_token": token, "label": "HMP Hull (Hedon Road)", "order": "1"},
    )
    retired = await browser_client.post(
        "/lists/establishments/values/hmp_hull/retire", data={"csrf_token": token}
    )
    after_retiring = dict(await stored(store, "establishments"))
    restored = await browser_client.post(
        "/lists/establishments/values/hmp_hull/retire",
        data={"csrf_token": token, "restore": "yes"},
    )
    deleted = await browser_client.post(
        "/lists/establishments/values/hmp_hull/delete", data={"csrf_token": token}
    )

    assert index.status_code == 200 and 'href="/lists/establishments"' in index.text
    assert 'href="/help/lists"' in index.text
    assert added.status_code == 303, added.text
    assert "Value added" in shown.text and "HMP Hull" in shown.text
    assert 'href="/lists/establishments.csv"' in shown.text
    assert form.status_code == 200 and 'value="HMP Hull"' in form.text
    assert changed.status_code == 303
    assert retired.status_code == 303 and retired.headers["location"].endswith("done=retired")
    assert after_retiring["hmp_hull"]["retired"] is True
    assert after_retiring["hmp_hull"]["label"] == "HMP Hull (Hedon Road)"
    assert restored.status_code == 303
    assert deleted.status_code == 303
    assert "hmp_hull" not in await stored(store, "establishments")


async def test_list_pages_show_refusals_beside_their_fields(
    browser_client: httpx.AsyncClient, make_user: MakeUser, case: dict[str, Any]
) -> None:
    admin = await make_user("admin", team="hq")
    token = await pages_signed_in(browser_client, admin)

    bad_code = await browser_client.post(
        "/lists/establishments/values",
        data={"csrf_token": token, "code": "HMP Hull", "label": "HMP Hull"},
    )
    taken = await browser_client.post(
        "/lists/establishments/values",
        data={"csrf_token": token, "code": "hmp_leeds", "label": "Leeds again"},
    )
    bad_order = await browser_client.post(
        "/lists/establishments/values/hmp_leeds",
        data={"csrf_token": token, "label": "HMP Leeds", "order": "first"},
    )
    in_use = await browser_client.post(
        "/lists/case_types/values/recall/delete", data={"csrf_token": token}
    )
    no_csrf = await browser_client.post(
        "/lists/establishments/values", data={"code": "hmp_hull", "label": "HMP Hull"}
    )

    assert bad_code.status_code == 422
    assert 'href="#code"' in bad_code.text and "snake_case" in bad_code.text
    assert taken.status_code == 422 and "already has the code hmp_leeds" in taken.text
    assert bad_order.status_code == 422 and 'href="#order"' in bad_order.text
    assert in_use.status_code == 409
    assert 'href="#value-recall"' in in_use.text and "retire it instead" in in_use.text
    # A value in use is offered no delete button.
    listed = await browser_client.get("/lists/case_types")
    assert "/lists/case_types/values/recall/delete" not in listed.text
    # Every default case type is held by a case, a dossier template or a retention rule.
    free = await browser_client.get("/lists/establishments")
    assert "/lists/establishments/values/hmp_leeds/delete" in free.text
    assert no_csrf.status_code == 403


async def test_import_page_checks_a_file_then_imports_it_or_nothing(
    store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    token = await pages_signed_in(browser_client, admin)
    before = await stored(store, "police_forces")
    good = b"code,label\nbritish_transport_police,BTP\nmod_police,MOD Police\n"
    bad = b"code,label\nmod_police,\nmod_police,MOD Police\n"

    def sent(raw: bytes, action: str) -> dict[str, Any]:
        return {
            "data": {"csrf_token": token, "action": action},
            "files": {"file": ("forces.csv", raw, "text/csv")},
        }

    refused = await browser_client.post("/lists/police_forces/import", **sent(bad, "import"))
    checked = await browser_client.post("/lists/police_forces/import", **sent(good, "check"))
    unchanged = await stored(store, "police_forces")
    imported = await browser_client.post("/lists/police_forces/import", **sent(good, "import"))
    no_file = await browser_client.post(
        "/lists/police_forces/import",
        data={"csrf_token": token, "action": "import"},
        files={"file": ("", b"", "application/octet-stream")},
    )
    forged = await browser_client.post(
        "/lists/police_forces/import",
        data={"action": "import"},
        files={"file": ("forces.csv", good, "text/csv")},
    )

    assert refused.status_code == 422
    assert "Nothing was imported" in refused.text and 'href="#file"' in refused.text
    assert "<title>Error: Police forces \N{EN DASH} PPUD</title>" in refused.text
    assert "Label is missing" in refused.text and "is also on line 2." in refused.text
    assert checked.status_code == 200 and "What the import would do" in checked.text
    assert "1 to add, 1 to change" in checked.text
    assert unchanged == before
    assert imported.status_code == 200 and "Imported" in imported.text
    after = await stored(store, "police_forces")
    assert after["mod_police"]["label"] == "MOD Police"
    assert after["british_transport_police"]["label"] == "BTP"
    assert no_file.status_code == 422 and "Choose a CSV file" in no_file.text
    assert forged.status_code == 403


async def test_export_page_link_gives_the_whole_list_as_csv(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    await pages_signed_in(browser_client, admin)

    exported = await browser_client.get("/lists/mappa_levels.csv")

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["code"] for r in rows][:1] and set(rows[0]) == {"code", "label", "order", "retired"}


async def test_non_administrators_read_lists_but_change_nothing(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User, make_user: MakeUser
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    before = await stored(store, "establishments")

    index = await browser_client.get("/lists")
    listed = await browser_client.get("/lists/establishments")
    form = await browser_client.get("/lists/establishments/values/hmp_leeds")
    attempts = [
        await browser_client.post(path, data={"csrf_token": token, **data})
        for path, data in (
            ("/lists/establishments/values", {"code": "hmp_hull", "label": "HMP Hull"}),
            ("/lists/establishments/values/hmp_leeds", {"label": "X", "order": "1"}),
            ("/lists/establishments/values/hmp_leeds/retire", {}),
            ("/lists/establishments/values/hmp_leeds/delete", {}),
        )
    ]
    imported = await browser_client.post(
        "/lists/establishments/import",
        data={"csrf_token": token, "action": "import"},
        files={"file": ("e.csv", b"code,label\nhmp_hull,HMP Hull\n", "text/csv")},
    )

    assert index.status_code == 200 and 'href="/lists"' not in index.text.split("<main")[0]
    assert listed.status_code == 200 and "Add a value" not in listed.text
    assert "/retire" not in listed.text and "Import from CSV" not in listed.text
    assert form.status_code == 403
    assert [a.status_code for a in attempts] == [403, 403, 403, 403]
    assert imported.status_code == 403
    assert await stored(store, "establishments") == before


async def test_external_users_are_refused_the_lists_pages(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    external = await make_user("viewer", team="board", external=True, organisation="Board")
    await pages_signed_in(browser_client, external)

    assert (await browser_client.get("/lists")).status_code == 403
    assert (await browser_client.get("/lists/case_types")).status_code == 403
    assert (await browser_client.get("/lists/case_types.csv")).status_code == 403


async def test_forms_stop_offering_a_retired_type_but_its_documents_keep_it(
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    admin = await make_user("admin", team="hq")
    filed = await file_document("office/testPDF.pdf", doc_type="charge_sheet")
    await admin.client.put("/lists/document_types/values/charge_sheet", json={"retired": True})
    await pages_signed_in(browser_client, caseworker)

    upload_form = await browser_client.get(f"/cases/{case['id']}/upload")
    document_page = await browser_client.get(f"/documents/{filed['id']}")
    other = await file_document("office/testPDF.pdf", doc_type="licence")
    other_page = await browser_client.get(f"/documents/{other['id']}")

    assert upload_form.status_code == 200
    assert 'value="charge_sheet"' not in upload_form.text
    assert 'value="licence"' in upload_form.text
    assert "Charge sheet" in document_page.text
    assert 'value="charge_sheet" selected' in document_page.text
    assert 'value="charge_sheet"' not in other_page.text


async def test_admin_imports_a_list_in_the_browser(
    store: Store, browsing: Browsing, tmp_path: Path
) -> None:
    made = await users.create_user(
        store, SYSTEM, "lists-admin", level="admin", team="hq", password=PASSWORD
    )
    assert made.totp_secret is not None
    page = browsing.page
    await sign_in(browsing, Person("lists-admin", made.totp_secret))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"code,label\nhmp_hull,\n")
    good = tmp_path / "good.csv"
    good.write_bytes(b"code,label\nhmp_hull,HMP Hull\n")

    await page.click("a:has-text('Lists of values')")
    await page.wait_for_url("**/lists")
    await browsing.check("lists")
    await page.click("a:has-text('Establishments')")
    await page.wait_for_url("**/lists/establishments")
    await browsing.check("establishments")
    await page.set_input_files("#file", str(bad))
    await page.click("button:has-text('Import')")
    await page.wait_for_selector(".govuk-error-summary")
    await browsing.check("import-refused")
    await page.set_input_files("#file", str(good))
    await page.click("button:has-text('Check the file')")
    await page.wait_for_selector("text=What the import would do")
    await browsing.check("import-checked")
    await page.set_input_files("#file", str(good))
    await page.click("button.govuk-button:text-is('Import')")
    await page.wait_for_selector("h2:text-is('Imported')")
    await browsing.check("imported")
    await page.click("button:has-text('Retire HMP Hull')")
    await page.wait_for_selector("text=Value retired")
    await browsing.check("retired")

    hull = (await stored(store, "establishments"))["hmp_hull"]
    assert hull["label"] == "HMP Hull" and hull["retired"] is True
