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
from dataclasses import asdict
from pathlib import Path

from search.extract import (
    EmbeddedTika,
    Extractor,
    Options,
    TikaServer,
    die_with_parent,
    extract,
)


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
    data = Path(job["path"]).read_bytes()

    found = extract(tika, data, job["media_type"], job["filename"], options)

    # Binary stdout: the text may hold any character, and the parent decodes UTF-8.
    sys.stdout.buffer.write(json.dumps(asdict(found)).encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
