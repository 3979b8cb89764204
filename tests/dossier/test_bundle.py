"""Layout of an assembled dossier, checked in the PDF itself: pages, links, labels, stamps."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from reportlab.pdfgen.canvas import Canvas

from dossier_builder.bundle import Options, Section, Source, assemble, open_source
from dossier_builder.errors import UnusableSource
from dossier_builder.pages import LINES_PER_INDEX_PAGE
from tests.conftest import CORPUS

PDFS = CORPUS / "pdf-samples"


def made_pdf(path: Path, pages: int, word: str, *, rotate: int = 0, size=(595, 842)) -> Path:
    """A PDF whose page n says "<word> page n", to find where each page landed."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size, invariant=1)
    for n in range(1, pages + 1):
        canvas.setFont("Helvetica", 14)
        canvas.drawString(100, size[1] / 2, f"{word} page {n}")
        canvas.showPage()
    canvas.save()
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        for page in pdf.pages:
            if rotate:
                page.obj.Rotate = rotate
        pdf.save(path)
    return path


def text_of(path: Path, page: int) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return " ".join(document[page].get_textpage().get_text_range().split())
    finally:
        document.close()


def link_targets(pdf: pikepdf.Pdf, page: int) -> list[int]:
    """The page indexes the index page's links point at, top to bottom."""
    index_of = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    links = [a for a in pdf.pages[page].obj.get("/Annots", []) if a.Subtype == pikepdf.Name.Link]
    return [index_of[a.Dest[0].objgen] for a in links]


@pytest.fixture
def three(tmp_path: Path) -> list[Path]:
    return [
        made_pdf(tmp_path / "a.pdf", 2, "alpha"),
        made_pdf(tmp_path / "b.pdf", 3, "bravo"),
        made_pdf(tmp_path / "c.pdf", 1, "charlie"),
    ]


def test_bundle_index_lines_link_to_the_page_each_entry_starts_on(
    tmp_path: Path, three: list[Path]
) -> None:
    sections = [
        Section("Part A", [Source("Alpha report", three[0]), Source("Bravo report", three[1])]),
        Section("Part B", [Source("Charlie letter", three[2])]),
    ]
    out = tmp_path / "dossier.pdf"

    built = assemble(sections, Options("Recall dossier", marking="OFFICIAL-SENSITIVE"), out)

    # Index, then 2 + 3 + 1 pages; printed numbers start after the index.
    assert (built.pages, built.printed_pages) == (7, 6)
    assert [(p.first_page, p.last_page) for p in built.placed] == [(1, 2), (3, 5), (6, 6)]
    index = text_of(out, 0)
    assert "Alpha report" in index and "Part B" in index
    with pikepdf.open(out) as pdf:
        targets = link_targets(pdf, 0)
    assert targets == [1, 3, 6]
    assert "alpha page 1" in text_of(out, 1)
    assert "bravo page 1" in text_of(out, 3)
    assert "charlie page 1" in text_of(out, 6)


def test_bundle_stamps_label_and_marking_on_numbered_pages(
    tmp_path: Path, three: list[Path]
) -> None:
    out = tmp_path / "dossier.pdf"

    assemble(
        [Section("All", [Source("A", p) for p in three])], Options("D", marking="OFFICIAL"), out
    )

    assert "Page 1 of 6" in text_of(out, 1)
    assert "Page 6 of 6" in text_of(out, 6)
    assert text_of(out, 3).count("OFFICIAL") == 2
    # The index is marked but not numbered, as in today's recall dossiers.
    assert "OFFICIAL" in text_of(out, 0) and "Page" not in text_of(out, 0).replace("Page", "", 1)


def test_bundle_pdf_page_labels_match_the_printed_numbers(
    tmp_path: Path, three: list[Path]
) -> None:
    out = tmp_path / "dossier.pdf"

    assemble(
        [Section("All", [Source("A", p) for p in three])],
        Options("D", cover_lines=["Case", "Offender"], start_page=10),
        out,
    )

    with pikepdf.open(out) as pdf:
        labels = [pikepdf.Page(page).label for page in pdf.pages]
    assert labels == ["i", "ii", "10", "11", "12", "13", "14", "15"]
    assert "Page 10 of 15" in text_of(out, 2)


def test_bundle_index_running_over_several_pages_still_points_right(tmp_path: Path) -> None:
    one = made_pdf(tmp_path / "one.pdf", 1, "single")
    count = LINES_PER_INDEX_PAGE + 10
    out = tmp_path / "dossier.pdf"

    built = assemble(
        [Section("Many", [Source(f"Entry {i}", one) for i in range(count)])], Options("D"), out
    )

    assert built.pages == 2 + count
    with pikepdf.open(out) as pdf:
        targets = link_targets(pdf, 0) + link_targets(pdf, 1)
    assert targets == list(range(2, 2 + count))
    assert "Page 1 of" in text_of(out, 2)
    assert f"Page {count} of {count}" in text_of(out, 1 + count)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_bundle_stamp_is_upright_at_the_top_of_a_rotated_page(tmp_path: Path, rotate: int) -> None:
    source = made_pdf(tmp_path / "r.pdf", 1, "turned", rotate=rotate)
    out = tmp_path / "dossier.pdf"

    assemble([Section("S", [Source("Turned", source)])], Options("D", marking="SECRET"), out)

    # Rendered as a reader shows it: the marking's dark pixels lie in the top
    # and bottom bands, centred, whatever the page's /Rotate.
    document = pypdfium2.PdfDocument(out)
    image = document[1].render(scale=1).to_pil().convert("L")
    document.close()
    width, height = image.size
    band = max(8, height // 14)

    def dark(box: tuple[int, int, int, int]) -> int:
        return sum(1 for v in image.crop(box).tobytes() if v < 128)

    assert dark((width // 3, 0, 2 * width // 3, band)) > 20
    assert dark((width // 3, height - band, 2 * width // 3, height)) > 20
    assert dark((0, 0, width // 4, band)) == 0


def test_bundle_outline_has_sections_entries_and_the_sources_own_bookmarks(tmp_path: Path) -> None:
    outlined = PDFS / "006-pdflatex-outline" / "pdflatex-outline.pdf"
    plain = made_pdf(tmp_path / "p.pdf", 2, "plain")
    out = tmp_path / "dossier.pdf"

    assemble(
        [Section("Reports", [Source("Plain", plain), Source("Outlined", outlined)])],
        Options("D"),
        out,
    )

    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        top = [item.title for item in outline.root]
        reports = outline.root[1]
        entries = [item.title for item in reports.children]
        nested = reports.children[1].children
        assert top == ["Index", "Reports"]
        assert entries == ["Plain", "Outlined"]
        assert [item.title for item in nested][:3] == ["Foo", "Bar", "Baz"]
        index_of = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
        first_nested = nested[0].destination[0].objgen
        # The outlined source starts after the index and the plain source's 2 pages.
        assert index_of[first_nested] >= 3


def test_bundle_drops_form_fields_and_keeps_other_annotations(tmp_path: Path) -> None:
    forms = PDFS / "010-pdflatex-forms" / "pdflatex-forms.pdf"
    annotated = PDFS / "024-annotations" / "annotated_pdf.pdf"
    out = tmp_path / "dossier.pdf"

    assemble([Section("S", [Source("Form", forms), Source("Notes", annotated)])], Options("D"), out)

    with pikepdf.open(out) as pdf:
        kinds = {str(a.Subtype) for page in pdf.pages[1:] for a in page.obj.get("/Annots", [])}
        assert "/Widget" not in kinds
        assert {"/Text", "/Highlight"} <= kinds
        assert "/AcroForm" not in pdf.Root


def test_bundle_awaited_document_gets_a_placeholder_page_and_an_index_line(tmp_path: Path) -> None:
    one = made_pdf(tmp_path / "one.pdf", 1, "present")
    out = tmp_path / "dossier.pdf"

    built = assemble(
        [Section("S", [Source("Licence", one), Source("OASys assessment", None)])],
        Options("D"),
        out,
    )

    assert [(p.first_page, p.last_page) for p in built.placed] == [(1, 1), (2, 2)]
    assert "OASys assessment (document awaited)" in text_of(out, 0)
    assert "Document awaited" in text_of(out, 2) and "OASys assessment" in text_of(out, 2)


def test_bundle_divider_pages_open_their_sections(tmp_path: Path, three: list[Path]) -> None:
    out = tmp_path / "dossier.pdf"

    built = assemble(
        [
            Section("Part A", [Source("A", three[0])], divider=True),
            Section("Part B", [Source("C", three[2])], divider=True),
        ],
        Options("D"),
        out,
    )

    assert built.pages == 1 + 1 + 2 + 1 + 1
    assert "Part A" in text_of(out, 1)
    assert "alpha page 1" in text_of(out, 2)
    assert "Part B" in text_of(out, 4)


def test_bundle_refuses_a_pdf_that_needs_a_password_by_name(tmp_path: Path) -> None:
    locked = PDFS / "005-libreoffice-writer-password" / "libreoffice-writer-password.pdf"

    with pytest.raises(
        UnusableSource, match="'Locked report' cannot go into the dossier: it needs a password"
    ):
        assemble(
            [Section("S", [Source("Locked report", locked)])], Options("D"), tmp_path / "o.pdf"
        )

    assert not (tmp_path / "o.pdf").exists()


def test_bundle_refuses_a_file_that_is_not_a_pdf(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")

    with pytest.raises(
        UnusableSource, match="'Empty' cannot go into the dossier: it is not a readable PDF"
    ):
        assemble([Section("S", [Source("Empty", empty)])], Options("D"), tmp_path / "o.pdf")


def test_bundle_of_every_corpus_pdf_that_opens(tmp_path: Path) -> None:
    usable, refused = [], {}
    for path in sorted(PDFS.rglob("*.pdf")):
        source = Source(path.stem, path)
        try:
            open_source(source).close()
            usable.append(source)
        except UnusableSource as exc:
            refused[path.name] = exc.detail
    out = tmp_path / "corpus.pdf"

    built = assemble([Section("Corpus", usable)], Options("Corpus", marking="OFFICIAL"), out)

    assert refused == {
        "libreoffice-writer-password.pdf": (
            "'libreoffice-writer-password' cannot go into the dossier: it needs a password to open"
        ),
        "unreadablemetadata.pdf": (
            "'unreadablemetadata' cannot go into the dossier: it is not a readable PDF "
            "(root of pages tree has no /Kids array)"
        ),
    }
    assert len(usable) == 29
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == built.pages
        assert pikepdf.Page(pdf.pages[-1]).label == str(built.printed_pages)
    assert f"Page {built.printed_pages} of {built.printed_pages}" in text_of(out, built.pages - 1)


def test_bundle_repairs_a_broken_cross_reference_table(tmp_path: Path) -> None:
    good = (PDFS / "001-trivial" / "minimal-document.pdf").read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(good[: good.rfind(b"startxref")] + b"startxref\n999999\n%%EOF\n")
    out = tmp_path / "o.pdf"

    built = assemble([Section("S", [Source("Broken", broken)])], Options("D"), out)

    assert built.pages == 2
    assert "Lorem ipsum" in text_of(out, 1)


def test_bundle_page_without_a_mediabox_is_stamped_on_the_default_size(tmp_path: Path) -> None:
    boxless = tmp_path / "boxless.pdf"
    with pikepdf.open(made_pdf(tmp_path / "m.pdf", 1, "boxless")) as pdf:
        for holder in (pdf.pages[0].obj, pdf.Root.Pages):
            if "/MediaBox" in holder:
                del holder["/MediaBox"]
        pdf.save(boxless)
    out = tmp_path / "o.pdf"

    assemble([Section("S", [Source("No box", boxless)])], Options("D", marking="OFFICIAL"), out)

    assert "OFFICIAL" in text_of(out, 1) and "Page 1 of 1" in text_of(out, 1)


def test_bundle_source_with_a_cyclic_outline_keeps_its_pages_and_loses_only_bookmarks(
    tmp_path: Path,
) -> None:
    cyclic = tmp_path / "cyclic.pdf"
    with pikepdf.open(made_pdf(tmp_path / "c.pdf", 2, "loop")) as pdf:
        first = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("One")))
        second = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("Two")))
        first.Dest = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])
        second.Dest = pikepdf.Array([pdf.pages[1].obj, pikepdf.Name.Fit])
        first.Next, second.Next = second, first  # round and round
        outlines = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=first, Last=second)
        )
        first.Parent = second.Parent = outlines
        pdf.Root.Outlines = outlines
        pdf.save(cyclic)
    out = tmp_path / "o.pdf"

    built = assemble([Section("S", [Source("Cyclic", cyclic)])], Options("D"), out)

    assert built.pages == 3
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root[1].children] == ["Cyclic"]


def test_bundle_of_a_5000_page_pdf(tmp_path: Path) -> None:
    big = made_pdf(tmp_path / "big.pdf", 5000, "long")
    out = tmp_path / "o.pdf"

    built = assemble([Section("S", [Source("Long", big)])], Options("D", marking="OFFICIAL"), out)

    assert (built.pages, built.printed_pages) == (5001, 5000)
    assert "long page 5000" in text_of(out, 5000)
    assert "Page 5000 of 5000" in text_of(out, 5000)


def test_bundle_marking_with_brackets_and_accents_is_printed_as_written(
    tmp_path: Path, three: list[Path]
) -> None:
    out = tmp_path / "dossier.pdf"

    assemble(
        [Section("S", [Source("A", three[2])])],
        Options("D", marking="OFFICIAL (SENSITIVE) \u2013 café \\ ok", page_label="p. {page}"),
        out,
    )

    shown = text_of(out, 1)
    assert "OFFICIAL (SENSITIVE) \u2013 café \\ ok" in shown
    assert "p. 1" in shown


def test_bundle_without_an_index_starts_with_the_first_entry(
    tmp_path: Path, three: list[Path]
) -> None:
    out = tmp_path / "dossier.pdf"

    built = assemble(
        [Section("All", [Source("A", p) for p in three])], Options("D", index=False), out
    )

    assert (built.pages, built.printed_pages) == (6, 6)
    assert "alpha page 1" in text_of(out, 0) and "Page 1 of 6" in text_of(out, 0)
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root] == ["All"]


def test_bundle_front_matter_numbered_when_asked(tmp_path: Path, three: list[Path]) -> None:
    out = tmp_path / "dossier.pdf"

    assemble(
        [Section("All", [Source("A", p) for p in three])],
        Options("D", cover_lines=["Case"], number_front_matter=True),
        out,
    )

    with pikepdf.open(out) as pdf:
        labels = [pikepdf.Page(page).label for page in pdf.pages]
    assert labels == [str(n) for n in range(1, 9)]
    assert "Page 1 of 8" in text_of(out, 0)
    assert "Page 3 of 8" in text_of(out, 2)


def test_bundle_cover_and_index_keep_letters_of_other_scripts(
    tmp_path: Path, three: list[Path]
) -> None:
    out = tmp_path / "dossier.pdf"
    name = "Łukasz Wójcik (Дмитрий, Ελένη)"

    assemble(
        [Section("Część A", [Source("Raport Łódź", three[0])])],
        Options("Dossier", cover_lines=[name]),
        out,
    )

    assert name in text_of(out, 0)
    assert "Część A" in text_of(out, 1) and "Raport Łódź" in text_of(out, 1)
