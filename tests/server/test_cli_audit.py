"""`ppud audit verify` and `ppud audit expire` against the test database."""

from __future__ import annotations

from records import audit
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import Ppud


async def test_cli_audit_verify_passes_a_whole_chain_and_names_a_broken_one(
    store: Store, ppud: Ppud
) -> None:
    for n in range(3):
        await audit.record(store, SYSTEM, "user.create", f"user:{n}")

    whole = await ppud("audit", "verify")
    await store.db[audit.COLLECTION].update_one({"seq": 2}, {"$set": {"target": "user:x"}})
    altered = await ppud("audit", "verify")

    assert whole.returncode == 0, whole.stderr
    assert "whole: 3 events, 1 to 3" in whole.stdout
    assert altered.returncode == 1
    assert "event 2" in altered.stderr and "altered" in altered.stderr
    assert "Traceback" not in altered.stderr


async def test_cli_audit_expire_refuses_less_than_six_months(store: Store, ppud: Ppud) -> None:
    refused = await ppud("audit", "expire", "--keep-days", "30")
    done = await ppud("audit", "expire")

    assert refused.returncode == 2 and "at least 183 days" in refused.stderr
    assert done.returncode == 0 and "removed 0 audit event(s) older than 730 days" in done.stdout
