"""Help Markdown as HTML: GOV.UK classes on what is allowed, nothing that runs."""

from __future__ import annotations

import pytest

from web.markdown import render


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#115;cript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](java&#9;script:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](file:///etc/passwd)",
        "[x](//elsewhere.example/)",
        "<javascript:alert(1)>",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
    ],
)
def test_render_leaves_a_link_that_could_run_or_leave_as_text(markdown: str) -> None:
    html = str(render(markdown))

    assert "<a " not in html
    assert "href" not in html


@pytest.mark.parametrize(
    ("markdown", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        ('<a href="javascript:alert(1)">x</a>', "&lt;a href=&quot;javascript:alert(1)&quot;&gt;"),
        ("<iframe src=/></iframe>", "&lt;iframe src=/&gt;&lt;/iframe&gt;"),
    ],
)
def test_render_shows_html_as_typed(markdown: str, escaped: str) -> None:
    html = str(render(markdown))

    assert escaped in html
    assert "<script" not in html and "<img" not in html and "<iframe" not in html


def test_render_makes_images_text() -> None:
    html = str(render("![a map](https://example.org/map.png)"))

    assert "<img" not in html


@pytest.mark.parametrize(
    ("markdown", "link"),
    [
        ("[Search](/search)", '<a href="/search" class="govuk-link">Search</a>'),
        ("[Top](#top)", '<a href="#top" class="govuk-link">Top</a>'),
        ("[GOV.UK](https://www.gov.uk)", '<a href="https://www.gov.uk" class="govuk-link">'),
        ("[Ask](mailto:ppcs@example.gov.uk)", 'href="mailto:ppcs@example.gov.uk"'),
    ],
)
def test_render_keeps_links_within_the_service_and_to_the_web(markdown: str, link: str) -> None:
    assert link in str(render(markdown))


def test_render_gives_each_element_its_govuk_class_and_no_second_h1() -> None:
    html = str(render("# Title\n\nText\n\n- one\n- two\n\n1. first\n\n> Note\n"))

    assert '<h2 class="govuk-heading-m">Title</h2>' in html
    assert '<p class="govuk-body">Text</p>' in html
    assert '<ul class="govuk-list govuk-list--bullet">' in html
    assert '<ol class="govuk-list govuk-list--number">' in html
    assert '<blockquote class="govuk-inset-text">' in html
    assert "<h1" not in html
