"""Indexes and seed data, created at start-up; safe to run any number of times."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from records import (
    access,
    audit,
    case_contacts,
    contacts,
    correspondence,
    credentials,
    csv_import,
    documents,
    files,
    folders,
    help_pages,
    jobs,
    notes,
    offenders,
    setup,
    tasks,
    users,
    vocabulary,
    workflows,
    working_days,
)
from records.cases import CASES
from records.store import Store

# Sparse, so it holds only limited documents (restriction.set_restriction stores
# both lists of a limit, None for no limit): the embedded database answers an
# $exists on it from the index, where it scans the collection for any test of
# restricted_to itself (measured: 8 ms against 220 ms over 20,000 documents).
LIMITED = IndexModel([("restricted_to.users", ASCENDING)], sparse=True)

_INDEXES: dict[str, list[IndexModel]] = {
    csv_import.DRAFTS: [IndexModel([("user_id", ASCENDING)], unique=True)],
    access.ASSOCIATIONS: [
        IndexModel([("case_id", ASCENDING), ("user_id", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING)]),
    ],
    access.SHARES: [
        IndexModel([("case_id", ASCENDING), ("team", ASCENDING)], unique=True),
        IndexModel([("team", ASCENDING)]),
    ],
    users.USERS: [IndexModel([("username", ASCENDING)], unique=True)],
    users.TEAMS: [IndexModel([("name", ASCENDING)], unique=True)],
    credentials.TOKENS: [
        IndexModel([("digest", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING)]),
    ],
    credentials.SESSIONS: [IndexModel([("digest", ASCENDING)], unique=True)],
    credentials.PENDING: [IndexModel([("digest", ASCENDING)], unique=True)],
    setup.SETUP_TOKENS: [IndexModel([("digest", ASCENDING)], unique=True)],
    credentials.ATTEMPTS: [IndexModel([("username", ASCENDING), ("at", DESCENDING)])],
    offenders.OFFENDERS: [
        IndexModel(
            [("nomis_number", ASCENDING)],
            unique=True,
            partialFilterExpression={"nomis_number": {"$type": "string"}},
        ),
        IndexModel([("family_name", ASCENDING)]),
        IndexModel([("pnc_number", ASCENDING)]),
        IndexModel([("cro_number", ASCENDING)]),
        # The offender search (records.offenders.search_keys): plain indexes, as the
        # embedded database plans none of its queries on the partial one above.
        IndexModel([(offenders.SEARCH_NAMES, ASCENDING)]),
        IndexModel([(offenders.SEARCH_IDS, ASCENDING)]),
    ],
    CASES: [
        IndexModel([("offender_id", ASCENDING)]),
        IndexModel([("team", ASCENDING), ("state", ASCENDING)]),
        # Migrations and the workflows page find the cases still on an older version.
        IndexModel([("case_type", ASCENDING), ("workflow.version", ASCENDING)]),
    ],
    folders.FOLDERS: [
        IndexModel(
            [("case_id", ASCENDING), ("parent_id", ASCENDING), ("name", ASCENDING)], unique=True
        ),
    ],
    documents.DOCUMENTS: [
        IndexModel([("case_id", ASCENDING)]),
        IndexModel([("versions.file_id", ASCENDING)]),
        # The documents a user has checked out (their home page).
        IndexModel([("lock.holder_id", ASCENDING)], sparse=True),
        # The search worker's queue: documents whose index entries are out of date.
        IndexModel([("index_dirty", ASCENDING)]),
        # A dossier job files one document however often it is retried.
        IndexModel([("built_by_job", ASCENDING)], unique=True, sparse=True),
        # The few documents limited to named people (records.audit hides their events).
        LIMITED,
    ],
    documents.TOMBSTONES: [LIMITED],
    files.STAGING: [IndexModel([("touched_at", ASCENDING)])],
    jobs.JOBS: [IndexModel([("kind", ASCENDING), ("state", ASCENDING), ("created_at", ASCENDING)])],
    # The indexes GridFS drivers create on first use; ours writes chunks itself.
    files.CHUNKS: [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)],
    files.FILES: [IndexModel([("filename", ASCENDING), ("uploadDate", ASCENDING)])],
    audit.COLLECTION: [
        # Sparse: events written before the chain existed have no number.
        IndexModel([("seq", ASCENDING)], unique=True, sparse=True),
        IndexModel([("case_id", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("document_id", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("user", ASCENDING), ("_id", DESCENDING)]),
    ],
    workflows.WORKFLOWS: [
        IndexModel([("case_type", ASCENDING), ("version", DESCENDING)], unique=True),
    ],
    tasks.TASKS: [
        IndexModel([("case_id", ASCENDING), ("state", ASCENDING)]),
        IndexModel([("team", ASCENDING), ("state", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("overdue", ASCENDING), ("due_at", ASCENDING)]),
    ],
    notes.NOTES: [
        IndexModel([("case_id", ASCENDING), ("_id", DESCENDING)]),
        # A note is corrected once; a second correction corrects the first (records.notes).
        IndexModel(
            [("corrects", ASCENDING)],
            unique=True,
            partialFilterExpression={"corrects": {"$type": "objectId"}},
        ),
    ],
    contacts.CONTACTS: [
        IndexModel([("name", ASCENDING)]),
        IndexModel([("kind", ASCENDING), ("name", ASCENDING)]),
    ],
    case_contacts.CASE_CONTACTS: [
        IndexModel(
            [("case_id", ASCENDING), ("contact_id", ASCENDING), ("role", ASCENDING)], unique=True
        ),
        IndexModel([("contact_id", ASCENDING)]),
    ],
    correspondence.CORRESPONDENCE: [
        IndexModel([("case_id", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("contact_id", ASCENDING)]),
    ],
}


async def ensure_indexes(store: Store) -> None:
    for collection, models in _INDEXES.items():
        await store.db[collection].create_indexes(models)
    await offenders.backfill_search_keys(store)
    await vocabulary.seed(store)
    await workflows.seed(store)
    await working_days.seed(store)
    await help_pages.seed(store)
