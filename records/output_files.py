"""Where a command writes what --out names: standard output, or a file replaced whole.

`ppud dossier build` and `ppud retention export-rules` treat --out alike.
"-" is standard output. A symlink is followed: the file it points at is
replaced and the link kept. A file is written beside its target and renamed
into place, so nobody ever finds it half-written. Anything else already there
(a folder, a device, a FIFO) is refused: a rename would put a plain file in
its place, and writing into it could not be taken back if the command failed
half way; "-" is there for a pipe.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from records.errors import OutputRefused

STANDARD_OUTPUT = "-"


def output_target(given: str, *, what: str) -> Path | None:
    """The regular file --out names, checked before any work; None for standard output.

    what names the output in messages, as "PDF file" or "CSV file".
    """
    if not given.strip():
        raise OutputRefused(f"give --out the path of the {what} to write, or - for standard output")
    if given == STANDARD_OUTPUT:
        return None

    try:
        # Follows symlinks: what matters is the file the link points at.
        found = os.stat(given)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise OutputRefused(f"cannot write {given!r}: {exc.strerror}") from exc
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise OutputRefused(
            f"{given!r} exists and is not a file; name a {what} to write, or - for standard output"
        )

    out = Path(given).resolve()
    if not out.parent.is_dir():
        raise OutputRefused(f"there is no folder {str(out.parent)!r} to write the {what} in")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputRefused(f"cannot write in the folder {str(out.parent)!r}")
    return out


@contextmanager
def replacing(out: Path | None) -> Iterator[Path]:
    """A path, in a folder of its own, to write the whole output at; moved onto out at the end.

    Only a block that ends without an error replaces out (or, for None, is
    copied to standard output); otherwise nothing is written there. The folder
    is made beside out rather than the file by mkstemp, so the file gets the
    permissions the umask gives any new file, not 0600, and the rename stays
    on one file system.
    """
    name = "output" if out is None else out.name
    shown = "standard output" if out is None else repr(str(out))
    try:
        folder = tempfile.TemporaryDirectory(
            prefix=f".{name}.", dir=None if out is None else out.parent
        )
    except OSError as exc:
        # Such as /proc, whose files can be opened for writing but where none can be made.
        where = "a temporary folder" if out is None else f"its folder {str(out.parent)!r}"
        raise OutputRefused(
            f"cannot write {shown}: no file can be made in {where} ({exc.strerror})"
        ) from exc

    with folder as made_in:
        made = Path(made_in) / name
        yield made
        try:
            if out is None:
                _copy_to_standard_output(made)
            else:
                os.replace(made, out)
        except OSError as exc:
            raise OutputRefused(f"cannot write {shown}: {exc.strerror or exc}") from exc


def write_whole(out: Path | None, content: bytes) -> None:
    """content as the whole of out, or on standard output for None."""
    with replacing(out) as made:
        try:
            made.write_bytes(content)
        except OSError as exc:
            shown = "standard output" if out is None else repr(str(out))
            raise OutputRefused(f"cannot write {shown}: {exc.strerror or exc}") from exc


def _copy_to_standard_output(made: Path) -> None:
    # What was printed as text so far goes first, then the bytes after it.
    sys.stdout.flush()
    with made.open("rb") as source:
        shutil.copyfileobj(source, sys.stdout.buffer)
    sys.stdout.buffer.flush()
