"""Online help: one Markdown page per screen, kept in MongoDB and edited by administrators.

The records layer stores the Markdown and nothing else; turning it into
HTML, safely, is the pages' business (web.markdown).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit
from records.actors import Actor
from records.errors import NotFound, StaleRevision
from records.help_texts import DEFAULT_PAGES
from records.policy import Action, require
from records.store import Store, iso
from records.validation import Fields

HELP_PAGES = "help_pages"
# Enough for a long screen's help; a page is read whole on every visit.
MAX_MARKDOWN = 20_000
KEYS = tuple(DEFAULT_PAGES)


async def seed(store: Store) -> None:
    """Insert each screen's default help once; an administrator's text is kept."""
    now = store.now()
    for key, (title, markdown) in DEFAULT_PAGES.items():
        await store.db[HELP_PAGES].update_one(
            {"_id": key},
            {
                "$setOnInsert": {
                    "title": title,
                    "markdown": markdown,
                    "revision": 1,
                    "updated_at": now,
                    "updated_by": "system",
                }
            },
            upsert=True,
        )


async def get_page(store: Store, actor: Actor, key: str) -> dict[str, Any]:
    """The help page for a screen; NotFound naming the screens there are."""
    require(actor, Action.HELP_READ)
    found = await store.db[HELP_PAGES].find_one({"_id": key}) if key in KEYS else None
    if found is None:
        raise NotFound(f"there is no help page {key[:40]!r}; the pages are: {', '.join(KEYS)}")
    return found


async def put_page(
    store: Store, actor: Actor, key: str, body: Any, *, expected_revision: int | None
) -> dict[str, Any]:
    """Replace a page's Markdown; with expected_revision, only over that revision."""
    require(actor, Action.HELP_EDIT)
    current = await get_page(store, actor, key)
    fields = Fields(body)
    fields.unknown({"markdown"})
    markdown = read_markdown(fields)
    fields.check()
    assert markdown is not None
    if markdown == current["markdown"] and expected_revision in (None, current["revision"]):
        return current

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        query: dict[str, Any] = {"_id": key}
        if expected_revision is not None:
            query["revision"] = expected_revision
        saved = await store.db[HELP_PAGES].find_one_and_update(
            query,
            {
                "$set": {
                    "markdown": markdown,
                    "updated_at": store.now(),
                    "updated_by": actor.username,
                },
                "$inc": {"revision": 1},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if saved is None:
            raise StaleRevision(
                f"the help page has changed since revision {expected_revision}; "
                "fetch it again and reapply your change"
            )
        await audit.record(
            store,
            actor,
            "help.update",
            f"help:{key}",
            detail={"revision": saved["revision"], "characters": len(markdown)},
            session=session,
        )
        return saved

    return await store.transaction(apply)


def read_markdown(fields: Fields) -> str | None:
    """The page's Markdown: required, at most MAX_MARKDOWN characters, line breaks kept."""
    value = fields.data.get("markdown")
    if not isinstance(value, str) or not value.strip():
        fields.fail("markdown", "is required")
        return None
    # Windows line endings from a textarea become plain ones; the text is otherwise kept.
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_MARKDOWN:
        fields.fail("markdown", f"must be at most {MAX_MARKDOWN} characters, not {len(text)}")
    elif any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        fields.fail("markdown", "must not contain control characters")
    return text


def page_view(page: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": page["_id"],
        "title": page["title"],
        "markdown": page["markdown"],
        "revision": page["revision"],
        "updated_at": iso(page["updated_at"]),
        "updated_by": page["updated_by"],
    }
