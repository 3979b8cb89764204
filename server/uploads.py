"""Streaming multipart uploads: the file part goes to GridFS as it arrives.

Starlette's own form parser spools files to disk first; for a 1 GB upload
that doubles the I/O, so we drive python-multipart's push parser ourselves
and hand each piece of the file part straight to a records FileSink.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from records import files
from records.errors import InvalidInput, MalformedInput, TooLarge
from records.files import FileSink, StoredFile
from records.media import check_filename
from records.store import Store

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELD_BYTES = 64 * 1024
# The form has about ten fields; these bound what a hostile one can make us hold.
MAX_FIELDS = 32
MAX_FIELDS_BYTES = 256 * 1024
# Room for the form fields and part headers around the file itself.
ENVELOPE_BYTES = 1024 * 1024


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    stored: StoredFile | None = None

    def require_file(self) -> StoredFile:
        if self.stored is None:
            raise InvalidInput.field("file", "is required: send the document as a 'file' part")
        return self.stored


class _Events:
    """Collects the push parser's callbacks as a list of events to act on."""

    def __init__(self) -> None:
        self.items: list[tuple[str, Any]] = []
        self.finished = False
        self._name = b""
        self._value = b""
        self._headers: dict[str, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._add("_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": lambda: self.items.append(("part", self._headers)),
            "on_part_data": lambda d, s, e: self.items.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: self.items.append(("end", None)),
            "on_end": self._end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[self._name.decode("latin-1").lower()] = self._value
        self._name = self._value = b""

    def _end(self) -> None:
        self.finished = True

    def take(self) -> list[tuple[str, Any]]:
        taken, self.items = self.items, []
        return taken


def _boundary(request: Request) -> bytes:
    content_type, params = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise MalformedInput("send the document as multipart/form-data with a 'file' part")
    return params[b"boundary"]


def _check_declared_length(request: Request, max_bytes: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + ENVELOPE_BYTES:
        raise TooLarge(f"the upload is larger than the limit of {max_bytes} bytes")


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedInput(f"{what} is not valid UTF-8") from exc


class _Receiver:
    def __init__(self, store: Store, upload: Upload, stack: AsyncExitStack, max_bytes: int) -> None:
        self.store, self.upload, self.stack, self.max_bytes = store, upload, stack, max_bytes
        self.sink: FileSink | None = None
        self.field_name: str | None = None
        self.field_value = bytearray()
        self.fields_count = 0
        self.fields_bytes = 0

    async def handle(self, kind: str, value: Any) -> None:
        if kind == "part":
            await self._start_part(value)
        elif kind == "data":
            await self._data(value)
        else:
            await self._end_part()

    async def _start_part(self, headers: dict[str, bytes]) -> None:
        _, options = parse_options_header(headers.get("content-disposition"))
        name = _decode(options.get(b"name", b""), "a part name")
        if b"filename" in options or name == "file":
            if name != "file":
                raise MalformedInput(f"unexpected file part {name!r}; send one part named 'file'")
            if self.upload.stored is not None or self.sink is not None:
                raise MalformedInput("send exactly one 'file' part")
            filename = check_filename(_decode(options.get(b"filename", b""), "the filename"))
            self.sink = await self.stack.enter_async_context(
                FileSink(self.store, filename, max_bytes=self.max_bytes)
            )
        else:
            self.fields_count += 1
            if self.fields_count > MAX_FIELDS:
                raise MalformedInput(f"the form has more than {MAX_FIELDS} fields")
            self.field_name, self.field_value = name, bytearray()

    async def _data(self, data: bytes) -> None:
        if self.sink is not None:
            await self.sink.write(data)
            return
        self.field_value += data
        self.fields_bytes += len(data)
        if len(self.field_value) > MAX_FIELD_BYTES:
            raise TooLarge(f"the field {self.field_name!r} is longer than {MAX_FIELD_BYTES} bytes")
        if self.fields_bytes > MAX_FIELDS_BYTES:
            raise TooLarge(f"the form's fields come to more than {MAX_FIELDS_BYTES} bytes")

    async def _end_part(self) -> None:
        if self.sink is not None:
            sink, self.sink = self.sink, None
            await self.stack.aclose()  # closes the GridFS file: bytes complete
            self.upload.stored = sink.stored
        elif self.field_name:
            if self.field_name in self.upload.fields:
                # Which of two titles was meant? Guessing would file the wrong one.
                raise MalformedInput(f"the field {self.field_name!r} is sent more than once")
            self.upload.fields[self.field_name] = _decode(
                bytes(self.field_value), f"the field {self.field_name!r}"
            )
            self.field_name = None


@asynccontextmanager
async def receive_upload(
    request: Request, store: Store, *, max_bytes: int
) -> AsyncIterator[Upload]:
    """Parse the body; if the caller's block fails, the staged file is discarded."""
    boundary = _boundary(request)
    _check_declared_length(request, max_bytes)
    upload = Upload()

    try:
        async with AsyncExitStack() as stack:
            receiver = _Receiver(store, upload, stack, max_bytes)
            events = _Events()
            parser = MultipartParser(boundary, cast("MultipartCallbacks", events.callbacks()))
            try:
                async for chunk in request.stream():
                    parser.write(chunk)
                    for kind, value in events.take():
                        await receiver.handle(kind, value)
            except ClientDisconnect as exc:
                raise MalformedInput("the client disconnected before the upload finished") from exc
            except ValueError as exc:  # python-multipart's parse errors
                raise MalformedInput(f"the multipart body is malformed: {exc}") from exc
            if not events.finished:
                raise MalformedInput("the multipart body ended before its closing boundary")
        yield upload
    except BaseException:
        if upload.stored is not None:
            await files.discard(store, upload.stored.file_id)
        raise


# A page's upload form: several files, each with its own fields.
MAX_FORM_FIELDS = 96
MAX_FORM_FILES = 10


@dataclass
class FormUpload:
    """Several file parts (by part name) and the fields around them."""

    fields: dict[str, str] = field(default_factory=dict)
    stored: dict[str, StoredFile] = field(default_factory=dict)


FieldsCheck = Callable[[dict[str, str]], None]


class _FormReceiver(_Receiver):
    """Any number of named file parts; an empty one (no file chosen) is skipped.

    before_file sees the fields received so far as each file part begins, so a
    page's CSRF token, sent first, is checked before a byte is stored.
    """

    def __init__(
        self,
        store: Store,
        upload: FormUpload,
        stack: AsyncExitStack,
        max_bytes: int,
        before_file: FieldsCheck,
    ) -> None:
        # The fields land in the form's own dict, checked as the API's are.
        super().__init__(store, Upload(fields=upload.fields), stack, max_bytes)
        self.form = upload
        self.before_file = before_file
        self.file_part: str | None = None
        self.skipping = False

    async def _start_part(self, headers: dict[str, bytes]) -> None:
        _, options = parse_options_header(headers.get("content-disposition"))
        name = _decode(options.get(b"name", b""), "a part name")
        self.skipping = False
        if b"filename" not in options:
            self.fields_count += 1
            if self.fields_count > MAX_FORM_FIELDS:
                raise MalformedInput(f"the form has more than {MAX_FORM_FIELDS} fields")
            self.field_name, self.field_value = name, bytearray()
            return

        self.before_file(self.form.fields)
        raw_name = _decode(options.get(b"filename", b""), "the filename")
        if not raw_name.strip():
            self.skipping = True  # a file input left empty
            return
        if name in self.form.stored or len(self.form.stored) >= MAX_FORM_FILES:
            raise MalformedInput(f"send at most {MAX_FORM_FILES} files, each part once")
        self.file_part = name
        self.sink = await self.stack.enter_async_context(
            FileSink(self.store, check_filename(raw_name), max_bytes=self.max_bytes)
        )

    async def _data(self, data: bytes) -> None:
        if not self.skipping:
            await super()._data(data)

    async def _end_part(self) -> None:
        if self.skipping:
            self.skipping = False
            return
        if self.sink is not None:
            sink, self.sink = self.sink, None
            await self.stack.aclose()
            assert sink.stored is not None and self.file_part is not None
            self.form.stored[self.file_part] = sink.stored
            self.file_part = None
            return
        await super()._end_part()


@asynccontextmanager
async def receive_form(
    request: Request, store: Store, *, max_bytes: int, before_file: FieldsCheck
) -> AsyncIterator[FormUpload]:
    """A page's multipart form, each file streamed to GridFS; those left unfiled are discarded."""
    boundary = _boundary(request)
    _check_declared_length(request, max_bytes * MAX_FORM_FILES)
    upload = FormUpload()

    try:
        # A file part that fails mid-way is closed, and so discarded, by the stack.
        async with AsyncExitStack() as stack:
            receiver = _FormReceiver(store, upload, stack, max_bytes, before_file)
            events = _Events()
            parser = MultipartParser(boundary, cast("MultipartCallbacks", events.callbacks()))
            try:
                async for chunk in request.stream():
                    parser.write(chunk)
                    for kind, value in events.take():
                        await receiver.handle(kind, value)
            except ClientDisconnect as exc:
                raise MalformedInput("the client disconnected before the upload finished") from exc
            except ValueError as exc:
                raise MalformedInput(f"the multipart body is malformed: {exc}") from exc
            if not events.finished:
                raise MalformedInput("the multipart body ended before its closing boundary")
        yield upload
    finally:
        # Whatever the caller did not file goes now, not at the next sweep;
        # discarding a committed file is a no-op (records.files.discard), so
        # the documents filed keep their bytes.
        for stored in upload.stored.values():
            await files.discard(store, stored.file_id)
