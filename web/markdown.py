"""Help text written in Markdown, as HTML that cannot run anything.

markdown-it-py's CommonMark parser with raw HTML off escapes every tag
typed into the text. Its own link check refuses javascript:, vbscript:,
file: and data: addresses; ours is stricter, an allow-list: a link goes to
a page of the service (a path or #fragment), or to http:, https: or mailto:,
and anything else is left as the text that was typed. Images are off too:
help is words, and the pages' policy would block images from elsewhere
anyway. Each element gets its GOV.UK Frontend class, so help reads like the
rest of the service.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

_CLASSES = {
    "p": "govuk-body",
    "h2": "govuk-heading-m",
    "h3": "govuk-heading-s",
    "ul": "govuk-list govuk-list--bullet",
    "ol": "govuk-list govuk-list--number",
    "a": "govuk-link",
    "blockquote": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "table": "govuk-table",
    "thead": "govuk-table__head",
    "tbody": "govuk-table__body",
    "tr": "govuk-table__row",
    "th": "govuk-table__header",
    "td": "govuk-table__cell",
}
# RFC 3986 section 3.1: a scheme is a letter, then letters, digits, + - or .
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_ALLOWED_SCHEMES = {"http", "https", "mailto"}
# The page's own title is its only h1; the text's headings sit below it.
_HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h3", "h6": "h3"}


@functools.cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    parser.validateLink = _allowed_link  # type: ignore[method-assign]
    return parser


def _allowed_link(url: str) -> bool:
    """A path, a fragment, or an http:, https: or mailto: address (url is entity-decoded)."""
    # The WHATWG URL standard: browsers drop tabs and newlines inside a URL, so
    # "java\tscript:" runs, and read a backslash as a slash, so "/\\host" is another site.
    cleaned = re.sub(r"[\x00-\x20]", "", url).replace("\\", "/")
    scheme = _SCHEME.match(cleaned)
    if scheme is not None:
        return scheme.group(1).lower() in _ALLOWED_SCHEMES
    # RFC 3986 section 4.2: a relative path's first segment holds no colon, so
    # one that does ("java%09script:") is refused rather than guessed at.
    first_segment = re.split(r"[/?#]", cleaned, maxsplit=1)[0]
    return not cleaned.startswith("//") and ":" not in first_segment


def render(markdown: str) -> Markup:
    """The Markdown as safe HTML for a page (and for the API's html field)."""
    parser = _parser()
    tokens = parser.parse(markdown)
    for token in _every(tokens):
        _style(token)
    return Markup(parser.renderer.render(tokens, parser.options, {}))  # noqa: S704


def _every(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _every(token.children)


def _style(token: Token) -> None:
    if token.tag in _HEADINGS:
        token.tag = _HEADINGS[token.tag]
    if token.nesting != -1 and token.tag in _CLASSES:
        token.attrSet("class", _CLASSES[token.tag])
