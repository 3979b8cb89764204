"""Assembling a dossier: cover, index, sections and their documents, as one navigable PDF.

Every source is a PDF by now (conversion happens before). The layout is
worked out first, from page counts alone: the index takes one line per
section and entry, so its length, and with it every printed page number, is
known before anything is drawn. Then the pages are put together, the index
lines linked to the pages they name, each page stamped with its label and
the protective marking, the outline written, and PDF page labels set to the
printed numbers.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from dossier_builder import pages as drawn
from dossier_builder import stamps
from dossier_builder.errors import UnusableSource

logger = logging.getLogger(__name__)

DEFAULT_LABEL = "Page {page} of {pages}"


@dataclass(frozen=True)
class Source:
    """One entry: a PDF to include, or (path None) a document awaited."""

    title: str
    path: Path | None
    doc_type: str = ""
    document_date: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    sources: list[Source]
    divider: bool = False


@dataclass(frozen=True)
class Options:
    title: str
    marking: str | None = None
    page_label: str = DEFAULT_LABEL
    start_page: int = 1
    cover_lines: list[str] | None = None  # None: no cover
    number_front_matter: bool = False
    index: bool = True


@dataclass(frozen=True)
class Placed:
    """Where an entry landed: printed page numbers, first to last."""

    section: int
    entry: int
    first_page: int
    last_page: int


@dataclass
class Assembly:
    pages: int
    printed_pages: int
    placed: list[Placed] = field(default_factory=list)


@dataclass
class _Slot:
    """One run of output pages: drawn by us, or taken from a source."""

    kind: str  # "divider", "source", "awaited"
    section: int
    entry: int = -1
    pdf: pikepdf.Pdf | None = None
    count: int = 1
    start: int = 0  # its first page's index in the dossier, set by the layout


def assemble(sections: list[Section], options: Options, out: Path) -> Assembly:
    """Write the dossier to out; UnusableSource names any source that cannot go in."""
    opened: list[pikepdf.Pdf] = []
    try:
        slots = list(_slots(sections, opened))
        return _write(sections, options, slots, out)
    finally:
        for pdf in opened:
            pdf.close()


def _slots(sections: list[Section], opened: list[pikepdf.Pdf]) -> Iterator[_Slot]:
    for s, section in enumerate(sections):
        if section.divider:
            yield _Slot("divider", s)
        for e, source in enumerate(section.sources):
            if source.path is None:
                yield _Slot("awaited", s, e)
                continue
            pdf = open_source(source)
            opened.append(pdf)
            yield _Slot("source", s, e, pdf, len(pdf.pages))


def open_source(source: Source) -> pikepdf.Pdf:
    """The source opened (qpdf repairs what it can on the way), or UnusableSource."""
    assert source.path is not None, "an awaited document has nothing to open"
    try:
        pdf = pikepdf.open(source.path)
    except pikepdf.PasswordError as exc:
        raise UnusableSource(source.title, "it needs a password to open") from exc
    except pikepdf.PdfError as exc:
        raise UnusableSource(source.title, f"it is not a readable PDF ({_why(exc)})") from exc
    try:
        count = len(pdf.pages)
    except pikepdf.PdfError as exc:
        pdf.close()
        raise UnusableSource(source.title, f"its pages cannot be read ({_why(exc)})") from exc
    if count == 0:
        pdf.close()
        raise UnusableSource(source.title, "it has no pages")
    return pdf


def _why(exc: Exception) -> str:
    # qpdf's message starts with the file's path, which means nothing to the reader.
    return str(exc).rpartition(": ")[2][:200]


def _write(sections: list[Section], options: Options, slots: list[_Slot], out: Path) -> Assembly:
    # 1. Layout: front matter, then every slot's first printed page.
    index_lines: list[drawn.IndexLine] = []
    index_pages = 0
    if options.index:
        index_pages = drawn.index_pages_needed(
            len(sections) + sum(1 for slot in slots if slot.kind != "divider")
        )
    front = (1 if options.cover_lines is not None else 0) + index_pages
    numbered_from = 0 if options.number_front_matter else front
    printed_at = options.start_page + (front if options.number_front_matter else 0)
    assembly = Assembly(pages=0, printed_pages=0)
    position = front
    for s, section in enumerate(sections):
        index_lines.append(drawn.IndexLine(section.title))
        for slot in (x for x in slots if x.section == s):
            slot.start = position
            if slot.kind != "divider":
                source = section.sources[slot.entry]
                first = printed_at + position - front
                index_lines.append(
                    drawn.IndexLine(
                        source.title,
                        first,
                        source.document_date,
                        source.doc_type,
                        awaited=slot.kind == "awaited",
                    )
                )
                assembly.placed.append(Placed(s, slot.entry, first, first + slot.count - 1))
            position += slot.count
    assembly.pages = position
    assembly.printed_pages = position - numbered_from

    # 2. The pages themselves.
    dossier = pikepdf.new()
    if options.cover_lines is not None:
        _append_drawn(dossier, drawn.cover(options.title, options.cover_lines))
    index_first = len(dossier.pages)
    boxes: list[drawn.LinkBox] = []
    if options.index:
        index_pdf, boxes = drawn.index(index_lines)
        _append_drawn(dossier, index_pdf)
    # _slots made them in section order, which is the order of the pages.
    for slot in slots:
        if slot.kind == "divider":
            _append_drawn(dossier, drawn.notice(sections[slot.section].title))
        elif slot.kind == "awaited":
            title = sections[slot.section].sources[slot.entry].title
            _append_drawn(dossier, drawn.notice("Document awaited", title))
        else:
            assert slot.pdf is not None
            _append_source(dossier, slot.pdf)

    # 3. Links from the index, stamps, outline, page labels.
    entry_starts = [slot.start for slot in slots if slot.kind != "divider"]
    if options.index:
        _link_index(dossier, index_first, boxes, entry_starts)
    _stamp(dossier, options, numbered_from, assembly.printed_pages)
    _outline(dossier, sections, slots, index_first if options.index else None)
    _label(dossier, options, numbered_from)

    dossier.save(out, deterministic_id=True, compress_streams=True)
    dossier.close()
    return assembly


def _append_drawn(dossier: pikepdf.Pdf, pdf_bytes: bytes) -> None:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as drawn_pdf:
        dossier.pages.extend(drawn_pdf.pages)


def _append_source(dossier: pikepdf.Pdf, source: pikepdf.Pdf) -> None:
    first = len(dossier.pages)
    with warnings.catch_warnings():
        # pikepdf warns that named destinations and form fields do not come
        # along: the outline is re-pointed below and form fields are dropped.
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        dossier.pages.extend(source.pages)
    # Form fields are dropped, so the dossier cannot be filled in or edited
    # by accident; other annotations (comments, highlights) stay visible.
    for page in dossier.pages[first:]:
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            kept = [a for a in annots if a.get("/Subtype") != pikepdf.Name.Widget]
            page.obj.Annots = pikepdf.Array(kept)


def _link_index(
    dossier: pikepdf.Pdf, index_first: int, boxes: list[drawn.LinkBox], entry_starts: list[int]
) -> None:
    for box, target in zip(boxes, entry_starts, strict=True):
        page = dossier.pages[index_first + box.index_page]
        link = dossier.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=pikepdf.Array(box.rect),
                Border=pikepdf.Array([0, 0, 0]),
                Dest=pikepdf.Array([dossier.pages[target].obj, pikepdf.Name.Fit]),
            )
        )
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            page.obj.Annots = annots = pikepdf.Array()
        annots.append(link)


def _stamp(dossier: pikepdf.Pdf, options: Options, numbered_from: int, printed: int) -> None:
    fonts = stamps.standard_fonts(dossier)
    for number, page in enumerate(dossier.pages):
        label = None
        if number >= numbered_from:
            page_no = options.start_page + number - numbered_from
            label = options.page_label.format(page=page_no, pages=options.start_page + printed - 1)
        if label is None and not options.marking:
            continue
        stamps.stamp_page(dossier, page, fonts, marking=options.marking, label=label)


def _outline(
    dossier: pikepdf.Pdf, sections: list[Section], slots: list[_Slot], index_first: int | None
) -> None:
    with dossier.open_outline() as outline:
        if index_first is not None:
            outline.root.append(pikepdf.OutlineItem("Index", index_first))
        for s, section in enumerate(sections):
            mine = [slot for slot in slots if slot.section == s]
            empty_at = index_first if index_first is not None else 0
            heading = pikepdf.OutlineItem(section.title, mine[0].start if mine else empty_at)
            for slot in mine:
                if slot.kind == "divider":
                    continue
                entry = pikepdf.OutlineItem(section.sources[slot.entry].title, slot.start)
                if slot.pdf is not None:
                    entry.children.extend(_source_bookmarks(slot.pdf, slot.start))
                heading.children.append(entry)
            outline.root.append(heading)


def _source_bookmarks(source: pikepdf.Pdf, offset: int) -> list[pikepdf.OutlineItem]:
    """A source's own bookmarks, re-pointed at its pages' place in the dossier."""
    try:
        with source.open_outline() as outline:
            return [_copied(item, source, offset) for item in outline.root]
    except (pikepdf.PdfError, pikepdf.OutlineStructureError, ValueError, KeyError) as exc:
        # A cyclic or broken outline costs the source its bookmarks, nothing more.
        logger.warning("dossier.source_outline_unreadable", extra={"error": type(exc).__name__})
        return []


def _copied(
    item: pikepdf.OutlineItem, source: pikepdf.Pdf, offset: int, depth: int = 0
) -> pikepdf.OutlineItem:
    page = offset + _target_page(item, source)
    copy = pikepdf.OutlineItem(str(item.title), page)
    if depth < 16:
        copy.children.extend(_copied(child, source, offset, depth + 1) for child in item.children)
    return copy


def _target_page(item: pikepdf.OutlineItem, source: pikepdf.Pdf) -> int:
    """The 0-based source page a bookmark opens; its first page when that cannot be told."""
    destination: object = item.destination
    if destination is None and item.action is not None:
        destination = item.action.get("/D")
    if isinstance(destination, (pikepdf.String, str, pikepdf.Name)):
        names = source.Root.get("/Names")
        destination = _named(source, str(destination)) if names is not None else None
    if isinstance(destination, pikepdf.Dictionary):
        destination = destination.get("/D")
    if isinstance(destination, pikepdf.Array) and len(destination) > 0:
        target = destination[0]
        if isinstance(target, int):
            return max(0, min(int(target), len(source.pages) - 1))
        for number, page in enumerate(source.pages):
            if page.obj.objgen == target.objgen:
                return number
    return 0


def _named(source: pikepdf.Pdf, name: str) -> pikepdf.Object | None:
    try:
        tree = pikepdf.NameTree(source.Root.Names.Dests)
    except (AttributeError, KeyError, TypeError):
        return None
    return tree.get(name)


def _label(dossier: pikepdf.Pdf, options: Options, numbered_from: int) -> None:
    """PDF page labels that read as the printed numbers; front matter as i, ii."""
    numbers: list[object] = []
    if numbered_from > 0:
        numbers += [0, pikepdf.Dictionary(S=pikepdf.Name.r)]
    numbers += [numbered_from, pikepdf.Dictionary(S=pikepdf.Name.D, St=options.start_page)]
    dossier.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(numbers))
