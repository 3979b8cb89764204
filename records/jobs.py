"""Durable jobs for slow work: recorded by a request, claimed by a worker under a lease.

A worker that dies leaves its job running with a lease that runs out; the
next claim takes it again. A job is retried at most MAX_ATTEMPTS times, then
failed with the reason, never silently dropped or done twice at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from records import audit, cases
from records.actors import Actor
from records.errors import NotFound
from records.policy import Action
from records.store import Store, iso, parse_id

JOBS = "jobs"
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3


async def create_job(
    store: Store, actor: Actor, kind: str, case: dict[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    now = store.now()
    job = {
        "kind": kind,
        "case_id": case["_id"],
        "state": "queued",
        "progress": 0.0,
        "message": "waiting for a worker",
        "payload": payload,
        "result": None,
        "error": None,
        "attempts": 0,
        "lease_until": None,
        "created_at": now,
        "created_by": actor.username,
        "created_by_id": actor.id,
        "updated_at": now,
    }
    inserted = await store.db[JOBS].insert_one(job)
    await audit.record(
        store, actor, f"job.{kind}", f"job:{inserted.inserted_id}", case_id=case["_id"]
    )
    return job


async def claim(store: Store, kind: str, worker: str) -> dict[str, Any] | None:
    """The oldest job of kind that is waiting, or whose worker's lease ran out."""
    now = store.now()
    await _give_up_on_the_exhausted(store, kind)
    return await store.db[JOBS].find_one_and_update(
        {
            "kind": kind,
            "attempts": {"$lt": MAX_ATTEMPTS},
            "$or": [{"state": "queued"}, {"state": "running", "lease_until": {"$lt": now}}],
        },
        {
            "$set": {
                "state": "running",
                "worker": worker,
                "lease_until": now + LEASE,
                "message": "starting",
                "updated_at": now,
            },
            "$inc": {"attempts": 1},
        },
        sort=[("created_at", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )


async def _give_up_on_the_exhausted(store: Store, kind: str) -> None:
    now = store.now()
    await store.db[JOBS].update_many(
        {
            "kind": kind,
            "state": "running",
            "lease_until": {"$lt": now},
            "attempts": {"$gte": MAX_ATTEMPTS},
        },
        {
            "$set": {
                "state": "failed",
                "error": f"the work was interrupted {MAX_ATTEMPTS} times; it is not tried again",
                "updated_at": now,
            }
        },
    )


async def report(store: Store, job: dict[str, Any], fraction: float, message: str) -> bool:
    """Record progress and renew the lease; False if the job is no longer this worker's."""
    now = store.now()
    updated = await store.db[JOBS].update_one(
        {"_id": job["_id"], "state": "running", "worker": job["worker"]},
        {
            "$set": {
                "progress": round(max(0.0, min(fraction, 1.0)), 4),
                "message": message,
                "lease_until": now + LEASE,
                "updated_at": now,
            }
        },
    )
    return updated.matched_count == 1


async def finish(store: Store, job: dict[str, Any], result: dict[str, Any]) -> None:
    await _end(store, job, {"state": "done", "progress": 1.0, "message": "done", "result": result})


async def fail(store: Store, job: dict[str, Any], error: str) -> None:
    await _end(store, job, {"state": "failed", "message": "failed", "error": error})


async def _end(store: Store, job: dict[str, Any], changes: dict[str, Any]) -> None:
    await store.db[JOBS].update_one(
        {"_id": job["_id"], "worker": job["worker"]},
        {"$set": {**changes, "lease_until": None, "updated_at": store.now()}},
    )


async def get_job(store: Store, actor: Actor, job_id: str) -> dict[str, Any]:
    """The job, if the actor may read its case; otherwise reported as absent."""
    oid = parse_id(job_id, kind="job")
    job = await store.db[JOBS].find_one({"_id": oid})
    # External users build nothing; a job would show them a dossier not shared with them.
    if job is None or actor.external:
        raise NotFound.absent("job", job_id)
    try:
        await cases.get_case(store, actor, job["case_id"], action=Action.CASE_READ)
    except NotFound as exc:
        raise NotFound.absent("job", job_id) from exc
    return job


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(job["_id"]),
        "kind": job["kind"],
        "state": job["state"],
        "progress": job["progress"],
        "message": job["message"],
        "result": job["result"],
        "error": job["error"],
        "case_id": str(job["case_id"]),
        "created_at": iso(job["created_at"]),
        "created_by": job["created_by"],
    }
