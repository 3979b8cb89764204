"""The search index: a Protocol, and its embedded implementation on Tantivy.

One entry per version. Only the worker writes (Tantivy allows one writer per
index, across processes); web processes read and reload when the writer has
committed. The live index is the directory named in the CURRENT file under
the search folder, so a rebuild can be written beside it and swapped in with
one rename while searches go on.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Protocol

import tantivy

from search import query as q
from search.errors import IndexUnavailable

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
WRITER_HEAP_BYTES = 128 * 1024 * 1024
SNIPPET_CHARS = 240
# Snippets are cut from the opening of the text only. Tantivy re-reads the
# whole stored text of every hit to cut one: measured, 2.2 s for a page of 20
# hits of 5 million characters each, against milliseconds for this much.
PREVIEW_CHARS = 20_000
_TEXT_BOOSTS = {"title": 2.0, "filename": 1.5, "body": 1.0}
_PREVIEW = {"preview": 1.0}


@dataclass(frozen=True)
class Entry:
    """What is indexed for one version of a document."""

    document_id: str
    version: int
    current: bool
    case_id: str
    offender_id: str
    team: str
    doc_type: str
    marking: str
    shared: bool
    date: datetime
    title: str
    filename: str
    text: str
    # Who may find it within its case: "*" for all who see the case, or
    # "user:<name>" / "team:<name>" for a document limited to those named.
    readers: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class Scope:
    """What a searcher may see: every team (None), some teams, or some shared cases."""

    teams: tuple[str, ...] | None
    case_ids: tuple[str, ...] | None = None
    shared_only: bool = False
    # Cases of other teams shared with the searcher's, found as well as the teams'.
    also_case_ids: tuple[str, ...] = ()
    # Reader keys that admit the searcher; empty admits only unlimited documents.
    readers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    document_id: str
    version: int
    case_id: str
    title: str
    doc_type: str
    score: float
    snippet: str


@dataclass(frozen=True)
class Results:
    total: int
    hits: list[Hit]


@dataclass(frozen=True)
class Search:
    tree: q.Node
    scope: Scope
    all_versions: bool = False
    case_id: str | None = None
    doc_type: str | None = None
    by_date: bool = False
    limit: int = 20
    offset: int = 0


class SearchIndex(Protocol):
    def replace_document(self, document_id: str, entries: Iterable[Entry]) -> None: ...
    def delete_document(self, document_id: str) -> None: ...
    def commit(self) -> None: ...
    def search(self, wanted: Search) -> Results: ...
    def versions(self) -> dict[tuple[str, int], str]: ...


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in (
        "key",
        "document_id",
        "case_id",
        "offender_id",
        "team",
        "doc_type",
        "marking",
        "readers",
    ):
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("version", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("current", indexed=True, fast=True)
    builder.add_unsigned_field("shared", indexed=True)
    builder.add_date_field("date", stored=True, indexed=True, fast=True)
    for name in ("title", "filename"):
        builder.add_text_field(name, stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    # The opening of the text, stored for snippets; indexed only so that the
    # snippet generator can weigh the query's terms in it.
    builder.add_text_field("preview", stored=True, tokenizer_name="en_stem", index_option="basic")
    # A fingerprint of what was indexed, so a check can tell a stale entry.
    builder.add_text_field("fingerprint", stored=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


SCHEMA = build_schema()
# The same steps as Tantivy's en_stem tokenizer, to analyse query words alike.
ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


def fingerprint(entry: Entry) -> str:
    """Changes whenever anything indexed for the entry changes."""
    import hashlib

    digest = hashlib.sha256()
    for part in (
        entry.case_id,
        entry.offender_id,
        entry.team,
        entry.doc_type,
        entry.marking,
        str(entry.shared),
        " ".join(entry.readers),
        str(entry.current),
        entry.date.isoformat(),
        entry.title,
        entry.filename,
        entry.text,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


# --- where the index lives --------------------------------------------------


def live_directory(root: Path) -> Path | None:
    marker = root / CURRENT
    try:
        name = marker.read_text().strip()
    except FileNotFoundError:
        return None
    return root / name


def new_directory(root: Path, *, building: bool = False) -> Path:
    """A fresh folder for an index; a rebuild's is named building-* until finished."""
    root.mkdir(parents=True, exist_ok=True)
    stem = "building" if building else "index"
    folder = root / f"{stem}-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    return folder


def finish_building(folder: Path) -> Path:
    """Rename a finished rebuild's folder so that it may be made live."""
    finished = folder.with_name("index-" + folder.name.removeprefix("building-"))
    os.replace(folder, finished)
    return finished


def make_live(root: Path, folder: Path) -> None:
    """Point CURRENT at folder in one rename.

    The index it replaces is left in place: the worker may still be writing
    to it, and removes it once it has moved to the new one (remove_stale).
    """
    staged = root / f"{CURRENT}.{uuid.uuid4().hex[:8]}"
    staged.write_text(folder.name + "\n")
    os.replace(staged, root / CURRENT)


def remove_stale(root: Path, keep: Path) -> None:
    """Remove the finished indexes other than keep (the live one); never one being built."""
    for folder in root.glob("index-*"):
        if folder != keep and folder.is_dir():
            # Readers that still hold its files keep them open (POSIX).
            shutil.rmtree(folder, ignore_errors=True)


def ensure_live(root: Path) -> Path:
    """The live index folder, created empty if there is none.

    If CURRENT names a folder that is gone, the newest finished index is
    made live rather than an empty one over it.
    """
    folder = live_directory(root)
    if folder is not None and folder.exists() and _schema_matches(folder):
        return folder
    if folder is not None and folder.exists():
        # An index written before a field was added: start an empty one, which
        # the worker fills again from the database (see Worker.run).
        logger.warning("search.index.schema_changed", extra={"folder": folder.name})
        return _new_live(root)
    finished = sorted(p for p in root.glob("index-*") if (p / "meta.json").exists())
    if finished:
        logger.warning("search.index.current_repointed", extra={"folder": finished[-1].name})
        make_live(root, finished[-1])
        return finished[-1]
    return _new_live(root)


def _new_live(root: Path) -> Path:
    folder = new_directory(root)
    tantivy.Index(SCHEMA, path=str(folder))
    make_live(root, folder)
    return folder


def _schema_matches(folder: Path) -> bool:
    """Whether the index in folder has today's fields (an older one cannot be opened)."""
    try:
        tantivy.Index(SCHEMA, path=str(folder), reuse=True)
    except ValueError as exc:
        return "schema does not match" not in str(exc)
    return True


# --- the Tantivy implementation ---------------------------------------------


class TantivyIndex:
    """A writer (in the worker) or a reader (in the web server) over one root."""

    def __init__(self, root: Path, *, writer: bool, folder: Path | None = None) -> None:
        self.root = root
        self._writable = writer
        self._lock = threading.Lock()
        self._folder = folder or ensure_live(root)
        self._index = self._open(self._folder)
        self._writer = self._index.writer(WRITER_HEAP_BYTES, 1) if writer else None
        self._seen: int | None = None

    @staticmethod
    def _open(folder: Path) -> tantivy.Index:
        try:
            return tantivy.Index(SCHEMA, path=str(folder), reuse=True)
        except ValueError as exc:
            raise IndexUnavailable(f"the search index at {folder} cannot be opened: {exc}") from exc

    @property
    def folder(self) -> Path:
        return self._folder

    # writing

    def replace_document(self, document_id: str, entries: Iterable[Entry]) -> None:
        writer = self._require_writer()
        writer.delete_documents_by_term("document_id", document_id)
        for entry in entries:
            writer.add_document(_document(entry))

    def delete_document(self, document_id: str) -> None:
        self._require_writer().delete_documents_by_term("document_id", document_id)

    def commit(self) -> None:
        self._require_writer().commit()
        self._index.reload()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def _require_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            raise IndexUnavailable("this index was opened for reading only")
        return self._writer

    # reading

    def _fresh_searcher(self) -> tantivy.Searcher:
        """A searcher that sees the writer's last commit, from any process."""
        with self._lock:
            live = live_directory(self.root)
            if not self._writable and live is not None and live != self._folder:
                # A rebuild was swapped in: open it; the old one's files go with it.
                self._index = self._open(live)
                self._folder = live
                self._seen = None
            # Every commit rewrites meta.json; one stat is cheaper than a reload.
            try:
                stamp: int | None = (self._folder / "meta.json").stat().st_mtime_ns
            except FileNotFoundError:
                stamp = None
            if stamp != self._seen:
                self._index.reload()
                self._seen = stamp
            return self._index.searcher()

    def search(self, wanted: Search) -> Results:
        searcher = self._fresh_searcher()
        matching = compile_search(wanted)
        if wanted.by_date:
            found = searcher.search(
                matching, wanted.limit, count=True, order_by_field="date", offset=wanted.offset
            )
        else:
            found = searcher.search(matching, wanted.limit, count=True, offset=wanted.offset)
        snippets = tantivy.SnippetGenerator.create(
            searcher, snippet_query(wanted.tree), SCHEMA, "preview"
        )
        snippets.set_max_num_chars(SNIPPET_CHARS)
        hits = []
        for rank, (_, address) in enumerate(found.hits, start=wanted.offset):
            doc = searcher.doc(address)
            # From the rank alone: BM25 scores move with term statistics over
            # the whole index, every team's documents included, so they would
            # let a searcher tell whether documents they may not see contain
            # a word (even divided by the best score: each field has its own).
            score = 0.0 if wanted.by_date else 1.0 / (1 + rank)
            hits.append(
                Hit(
                    document_id=str(doc.get_first("document_id")),
                    version=int(doc.get_first("version") or 0),
                    case_id=str(doc.get_first("case_id")),
                    title=str(doc.get_first("title")),
                    doc_type=str(doc.get_first("doc_type")),
                    score=round(score, 4),
                    snippet=_snippet(snippets, doc),
                )
            )
        # count is there at run time, though tantivy's type stubs omit it.
        return Results(total=int(getattr(found, "count", 0) or 0), hits=hits)

    def count(self) -> int:
        """How many versions are indexed."""
        return int(self._fresh_searcher().num_docs)

    def versions(self) -> dict[tuple[str, int], str]:
        """Every indexed (document id, version) and its fingerprint."""
        searcher = self._fresh_searcher()
        found: dict[tuple[str, int], str] = {}
        total = searcher.num_docs
        if total == 0:
            return found
        result = searcher.search(tantivy.Query.all_query(), total, count=False)
        for _, address in result.hits:
            doc = searcher.doc(address)
            key = (str(doc.get_first("document_id")), int(doc.get_first("version") or 0))
            found[key] = str(doc.get_first("fingerprint"))
        return found


def _document(entry: Entry) -> tantivy.Document:
    # from_dict with the schema: without it Tantivy guesses numbers' types.
    return tantivy.Document.from_dict(
        {
            "key": f"{entry.document_id}:{entry.version}",
            "document_id": entry.document_id,
            "version": entry.version,
            "current": int(entry.current),
            "case_id": entry.case_id,
            "offender_id": entry.offender_id,
            "team": entry.team,
            "doc_type": entry.doc_type.lower(),
            "marking": entry.marking.lower(),
            "shared": int(entry.shared),
            "readers": list(entry.readers),
            "date": entry.date,
            "title": entry.title,
            "filename": entry.filename,
            "body": _folded(entry.text),
            "preview": entry.text[:PREVIEW_CHARS],
            "fingerprint": fingerprint(entry),
        },
        SCHEMA,
    )


def _folded(text: str) -> str:
    """Compatibility forms as what they look like, as queries are read: "ﬁle" as "file"."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _snippet(generator: tantivy.SnippetGenerator, doc: tantivy.Document) -> str:
    """HTML with <b> around matched terms; Tantivy escapes the text itself.

    A match by prefix or on the title alone highlights nothing in the body;
    then the snippet is the text's opening words, escaped here.
    """
    marked = " ".join(str(generator.snippet_from_doc(doc).to_html()).split())
    if marked:
        return marked
    opening = " ".join(str(doc.get_first("preview") or "")[: SNIPPET_CHARS * 2].split())
    opening = opening[:SNIPPET_CHARS]
    return html.escape(opening)


# --- from the query tree to Tantivy ------------------------------------------


def compile_search(wanted: Search) -> tantivy.Query:
    tree = _prune(wanted.tree)
    if tree is None:
        return tantivy.Query.empty_query()
    clauses = [(tantivy.Occur.Must, _compile(tree))]
    clauses.extend((tantivy.Occur.Must, f) for f in _filters(wanted))
    return tantivy.Query.boolean_query(clauses)


def snippet_query(tree: q.Node) -> tantivy.Query:
    """The tree over the stored preview alone, which is what snippets are cut from."""
    pruned = _prune(tree)
    return tantivy.Query.empty_query() if pruned is None else _compile(pruned, _PREVIEW)


def _prune(node: q.Node) -> q.Node | None:
    """The tree without words that hold nothing to index (punctuation, a stray BOM).

    "fox ???" is a search for fox; None when nothing findable is left.
    """
    if isinstance(node, q.Words):
        return node if ANALYZER.analyze(node.text) else None
    if isinstance(node, q.Not):
        inner = _prune(node.item)
        return None if inner is None else q.Not(inner)
    if isinstance(node, q.AllOf | q.AnyOf):
        kept = [p for p in (_prune(item) for item in node.items) if p is not None]
        if isinstance(node, q.AllOf) and all(isinstance(k, q.Not) for k in kept):
            return None
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else type(node)(tuple(kept))
    return node


def _filters(wanted: Search) -> Iterator[tantivy.Query]:
    scope = wanted.scope
    if scope.teams is not None and scope.also_case_ids:
        yield tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, _any_of("team", scope.teams)),
                (tantivy.Occur.Should, _any_of("case_id", scope.also_case_ids)),
            ]
        )
    elif scope.teams is not None:
        yield _any_of("team", scope.teams)
    if scope.case_ids is not None:
        yield _any_of("case_id", scope.case_ids)
    if scope.shared_only:
        yield tantivy.Query.term_query(SCHEMA, "shared", 1)
    # A document limited to named users or teams is found only by them.
    yield _any_of("readers", scope.readers or ("*",))
    if not wanted.all_versions:
        yield tantivy.Query.term_query(SCHEMA, "current", 1)
    if wanted.case_id is not None:
        yield tantivy.Query.term_query(SCHEMA, "case_id", wanted.case_id)
    if wanted.doc_type is not None:
        yield tantivy.Query.term_query(SCHEMA, "doc_type", wanted.doc_type.lower())


def _any_of(field: str, values: tuple[str, ...]) -> tantivy.Query:
    if not values:
        return tantivy.Query.empty_query()
    return tantivy.Query.term_set_query(SCHEMA, field, list(values))


def _compile(node: q.Node, fields: dict[str, float] = _TEXT_BOOSTS) -> tantivy.Query:
    """The tree as a Tantivy query over fields (for snippets: the preview alone)."""
    if isinstance(node, q.AllOf):
        clauses = [
            (tantivy.Occur.MustNot, _compile(item.item, fields))
            if isinstance(item, q.Not)
            else (tantivy.Occur.Must, _compile(item, fields))
            for item in node.items
        ]
        return tantivy.Query.boolean_query(clauses)
    if isinstance(node, q.AnyOf):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, _compile(i, fields)) for i in node.items]
        )
    if isinstance(node, q.Not):
        # Only reached inside AnyOf (parse() refuses a search that only excludes).
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.all_query()),
                (tantivy.Occur.MustNot, _compile(node.item, fields)),
            ]
        )
    if isinstance(node, q.Exact):
        field = {"type": "doc_type", "case": "case_id", "marking": "marking"}[node.field]
        value = node.value if node.field == "case" else node.value.lower()
        return tantivy.Query.term_query(SCHEMA, field, value)
    if isinstance(node, q.DateRange):
        return tantivy.Query.range_query(
            SCHEMA,
            "date",
            tantivy.FieldType.Date,
            _day_start(node.start) if node.start else None,
            _day_end(node.end) if node.end else None,
        )
    if isinstance(node, q.Prefix):
        return _across(node.field, fields, lambda field: _prefix(field, node.text))
    return _across(node.field, fields, lambda field: _words(field, node.text))


def _across(
    field: str | None, fields: dict[str, float], build: Callable[[str], tantivy.Query | None]
) -> tantivy.Query:
    """build() over the text fields, or over the one named (title:, filename:)."""
    if field is not None:
        fields = {field: fields[field]} if field in fields else {}
    queries = []
    for name, boost in fields.items():
        built = build(name)
        if built is None:
            continue
        queries.append(built if boost == 1.0 else tantivy.Query.boost_query(built, boost))
    if not queries:
        # title: on the snippet's preview field, say: nothing there to match.
        return tantivy.Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, x) for x in queries])


def _words(field: str, text: str) -> tantivy.Query | None:
    terms: list[str | tuple[int, str]] = [t for t in ANALYZER.analyze(text) if t]
    if not terms:
        return None
    if len(terms) == 1:
        return tantivy.Query.term_query(SCHEMA, field, str(terms[0]))
    return tantivy.Query.phrase_query(SCHEMA, field, terms)


def _prefix(field: str, text: str) -> tantivy.Query | None:
    # Index terms are stemmed, so "psychiatric*" must also match the stem
    # "psychiatr"; the literal lower-case prefix catches the rest.
    literal = text.lower()
    stems = ANALYZER.analyze(text)
    patterns = {re.escape(literal)}
    if len(stems) == 1:
        patterns.add(re.escape(stems[0]))
    queries = [tantivy.Query.regex_query(SCHEMA, field, f"{p}.*") for p in sorted(patterns)]
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, x) for x in queries])


def _day_start(day: date) -> datetime:
    return datetime.combine(day, clock_time.min, tzinfo=UTC)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, clock_time.max, tzinfo=UTC)
