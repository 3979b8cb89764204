"""The extraction subprocess: one file in, one JSON answer out.

Run as `python -m search.child`, with the job as JSON on stdin. Whatever the
file does to Tika (crash, hang, exhaust memory) ends here; the parent sees
only an exit status or a timeout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

from search.extract import (
    EmbeddedTika,
    Extractor,
    Options,
    TikaServer,
    die_with_parent,
    extract,
)

# Types whose characters are their bytes, give or take the encoding.
PLAIN_TEXT_TYPES = frozenset(
    {"text/plain", "text/csv", "text/tab-separated-values", "text/markdown"}
)
# No encoding spends more than four bytes on a character (UTF-8, UTF-32).
BYTES_PER_CHAR = 4


def read_input(path: Path, media_type: str, max_chars: int) -> tuple[bytes, bool]:
    """The bytes Tika needs, and whether the file was longer than that.

    A plain-text file's first 4 x max_chars bytes already hold every character
    the index keeps. Reading past them only costs memory: a 200 MB log took
    this process to 725 MB resident (the bytes, Tika's copy, its UTF-16
    string), close enough to the 1 GiB ceiling that a busy machine crossed it.
    """
    if media_type.split(";")[0].strip().lower() not in PLAIN_TEXT_TYPES:
        return path.read_bytes(), False

    enough = max_chars * BYTES_PER_CHAR
    with path.open("rb") as source:
        data = source.read(enough)
        cut = bool(source.read(1))
    return data, cut


def main() -> int:
    die_with_parent()
    job = json.loads(sys.stdin.read())
    if job.get("parent") and os.getppid() != job["parent"]:
        # The worker died before the kernel was asked to take this one with it.
        return 1
    # OCR stops taking pages at three quarters of the deadline, leaving time to answer.
    ocr_until = time.monotonic() + 0.75 * float(job["timeout_seconds"])
    options = Options(
        scratch=Path(job["scratch"]) if job.get("scratch") else None,
        ocr_until=ocr_until,
        max_chars=int(job["max_chars"]),
        ocr=bool(job["ocr"]),
        ocr_max_pages=int(job["ocr_max_pages"]),
        ocr_timeout_seconds=int(job["ocr_timeout_seconds"]),
    )
    tika: Extractor = (
        TikaServer(job["tika_url"], float(job["timeout_seconds"]))
        if job.get("tika_url")
        else EmbeddedTika()
    )
    data, cut = read_input(Path(job["path"]), job["media_type"], options.max_chars)

    found = extract(tika, data, job["media_type"], job["filename"], options)
    if cut and found.status == "done":
        found = replace(found, truncated=True)

    # Binary stdout: the text may hold any character, and the parent decodes UTF-8.
    sys.stdout.buffer.write(json.dumps(asdict(found)).encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
