"""An external user's PDF download, stamped on every page with who took it and when.

A parole panel member or a legal representative who passes a document on
passes the stamp with it. The stamp is applied as the file goes out, to a
copy in the server's scratch folder that is removed once sent; what is
stored stays as it was filed. The stamped file differs on every download, so
it has no ETag and answers no Range: it is sent whole.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
from bson import ObjectId
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from dossier_builder.errors import DossierError
from dossier_builder.stamps import stamp_file
from records import files, users, versions
from records.actors import Actor
from records.errors import Unavailable
from records.store import Store
from server.content import content_disposition
from server.state import services

LONDON = ZoneInfo("Europe/London")
CHUNK_BYTES = 1024 * 1024


def wants_stamp(actor: Actor, version: dict[str, object]) -> bool:
    return actor.external and version.get("media_type") == "application/pdf"


async def send_stamped(request: Request, actor: Actor, opened: versions.OpenVersion) -> Response:
    store = services(request).store
    headers = {
        "Content-Disposition": content_disposition(opened.version["filename"]),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    if request.method == "HEAD":
        return Response(status_code=200, headers={**headers, "Content-Type": "application/pdf"})

    note = await _note(store, actor)
    scratch = services(request).settings.data_dir / "tmp" / "stamped"
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="download-", dir=scratch))
    try:
        source, out = folder / "source.pdf", folder / "stamped.pdf"
        with source.open("wb") as sink:
            await files.copy_version(store, opened.version, sink)
        pages = await asyncio.to_thread(stamp_file, source, out, note)
    except DossierError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(f"the PDF could not be stamped for download: {exc.detail}") from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

    size = int(opened.version["size"])
    await versions.record_download(
        store, actor, opened, first=0, last=size - 1, extra={"stamped": True, "pages": pages}
    )
    headers["Content-Length"] = str(out.stat().st_size)
    headers["Content-Type"] = "application/pdf"
    # Not FileResponse: it would offer an ETag and ranges of a file made for one download.
    return StreamingResponse(
        _chunks(out),
        headers=headers,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as stamped:
        while piece := await stamped.read(CHUNK_BYTES):
            yield piece


async def _note(store: Store, actor: Actor) -> str:
    user = await store.db[users.USERS].find_one({"_id": ObjectId(actor.id)}) or {}
    organisation = user.get("organisation") or "no organisation"
    at = datetime.now(LONDON).strftime("%d %B %Y %H:%M %Z")
    return f"Downloaded by {actor.username} ({organisation}) on {at}. Do not pass it on."
