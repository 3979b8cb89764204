"""The search language, parsed into a small tree before any engine sees it.

    psychiatric report          both words (AND is implied)
    "risk of serious harm"      the exact phrase
    recall OR breach            either
    licence NOT variation       the first without the second (also -variation)
    assess*                     any word starting so
    (a OR b) c                  grouping
    type:parole_report  case:<id>  marking:official-sensitive
    title:licence  filename:report  date:2024-01-01..2024-12-31  date:2025-03-04

Our own parser, not Tantivy's: its errors are not sentences a caseworker can
act on, a bare `abc*` matched nothing there, and the permission filter must
be added to whatever the user typed, never inside it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from search.errors import MalformedQuery

MAX_QUERY_CHARS = 500
MAX_DEPTH = 8
MAX_CLAUSES = 64
MIN_PREFIX_CHARS = 2
FIRST_YEAR, LAST_YEAR = 1678, 2261
TEXT_FIELDS = ("title", "filename")
FILTER_FIELDS = ("type", "case", "marking")
FIELDS = (*TEXT_FIELDS, *FILTER_FIELDS, "date")
_OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class Words:
    """A word, or several words that must appear in order (a phrase)."""

    text: str
    field: str | None = None
    phrase: bool = False


@dataclass(frozen=True)
class Prefix:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Exact:
    """A filter on a keyword field: type, case or marking."""

    field: str
    value: str


@dataclass(frozen=True)
class DateRange:
    start: date | None
    end: date | None


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class AllOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


Node = Words | Prefix | Exact | DateRange | Not | AllOf | AnyOf


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "phrase", "(", ")", "AND", "OR", "NOT", "-"
    text: str
    at: int  # 1-based character position, as a person counts
    field: str | None = None


def parse(text: str) -> Node:
    """The query's tree, or MalformedQuery saying what to change."""
    _check_characters(text)
    # Compatibility forms read as what they look like: the ligature "ﬁ" as "fi".
    text = unicodedata.normalize("NFKC", text)
    tokens = _tokens(text)
    if not tokens:
        raise MalformedQuery("the search is empty: type a word or phrase to look for")
    parser = _Parser(tokens)
    node = parser.expression(0)
    if parser.position < len(tokens):
        stray = tokens[parser.position]
        raise MalformedQuery(f"unexpected {stray.text!r} at character {stray.at}")
    if _not_beside_or(node):
        raise MalformedQuery(
            "NOT cannot be one side of an OR; put it beside the words it narrows, "
            "as in (licence OR recall) NOT variation"
        )
    if not _finds_something(node):
        raise MalformedQuery(
            "a search cannot only exclude: add a word or phrase to find, then NOT what to leave out"
        )
    if _count(node) > MAX_CLAUSES:
        raise MalformedQuery(f"the search has more than {MAX_CLAUSES} words and filters")
    return node


def _check_characters(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise MalformedQuery(
            f"the search is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed"
        )
    for position, char in enumerate(text, start=1):
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise MalformedQuery(
                f"the search contains a control character (U+{ord(char):04X}) "
                f"at character {position}"
            )


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in "()":
            tokens.append(_Token(char, char, i + 1))
            i += 1
            continue
        if char == "-" and (i + 1 == len(text) or text[i + 1].isspace()):
            raise MalformedQuery(
                f"- at character {i + 1} must be followed by a word to leave out, as in -breach"
            )
        if char == "-":
            tokens.append(_Token("-", "-", i + 1))
            i += 1
            continue
        start = i
        field: str | None = None
        # field:value, field:"phrase"
        j = i
        while j < len(text) and not text[j].isspace() and text[j] not in '()":':
            j += 1
        if j < len(text) and text[j] == ":" and j > start:
            field = text[start:j].lower()
            if field not in FIELDS:
                raise MalformedQuery(
                    f"there is no field {text[start:j]!r} (character {start + 1}); "
                    f"the fields are {', '.join(f + ':' for f in FIELDS)}"
                )
            i = j + 1
            if i >= len(text) or text[i].isspace() or text[i] in "()":
                raise MalformedQuery(f"{field}: at character {start + 1} needs a value after it")
        if i < len(text) and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise MalformedQuery(
                    f"the quotation mark at character {i + 1} is never closed; "
                    'add a closing " or remove it'
                )
            tokens.append(_Token("phrase", text[i + 1 : end], start + 1, field))
            i = end + 1
            continue
        word_start = i
        while i < len(text) and not text[i].isspace() and text[i] not in '()"':
            i += 1
        word = text[word_start:i]
        if not word:
            raise MalformedQuery(f"unexpected {text[i]!r} at character {i + 1}")
        if field is None and word in _OPERATORS:
            tokens.append(_Token(word, word, start + 1))
        else:
            tokens.append(_Token("word", word, start + 1, field))
    return tokens


class _Parser:
    """Recursive descent: OR binds loosest, then AND (or nothing), then NOT."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise MalformedQuery(f"brackets may be nested at most {MAX_DEPTH} deep")
        items = [self._conjunction(depth)]
        while (token := self._peek()) is not None and token.kind == "OR":
            self.position += 1
            if self._peek() is None or self._peek_kind() in (")", "OR", "AND"):
                raise MalformedQuery(f"OR at character {token.at} needs something after it")
            items.append(self._conjunction(depth))
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def _peek_kind(self) -> str | None:
        token = self._peek()
        return token.kind if token else None

    def _conjunction(self, depth: int) -> Node:
        items = [self._negation(depth)]
        while (token := self._peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.position += 1
                if self._peek() is None or self._peek_kind() in (")", "OR", "AND"):
                    raise MalformedQuery(f"AND at character {token.at} needs something after it")
            items.append(self._negation(depth))
        return items[0] if len(items) == 1 else AllOf(tuple(items))

    def _negation(self, depth: int) -> Node:
        token = self._peek()
        if token is not None and token.kind in ("NOT", "-"):
            self.position += 1
            following = self._peek()
            if following is None or following.kind in (")", "OR", "AND"):
                raise MalformedQuery(
                    f"{token.text} at character {token.at} must be followed by a word "
                    "or phrase to leave out"
                )
            return Not(self._negation(depth))
        return self._primary(depth)

    def _primary(self, depth: int) -> Node:
        token = self._peek()
        if token is None:
            raise MalformedQuery("the search ends too early")
        if token.kind in ("AND", "OR"):
            raise MalformedQuery(f"{token.text} at character {token.at} needs something before it")
        if token.kind == ")":
            raise MalformedQuery(f"the bracket at character {token.at} was never opened")
        self.position += 1
        if token.kind == "(":
            if self._peek_kind() == ")":
                raise MalformedQuery(f"the brackets at character {token.at} are empty")
            inner = self.expression(depth + 1)
            if self._peek_kind() != ")":
                raise MalformedQuery(f"the bracket at character {token.at} is never closed")
            self.position += 1
            return inner
        return _atom(token)


def _atom(token: _Token) -> Node:
    field, text = token.field, token.text
    if field == "date":
        return _date_range(text, token.at)
    if field in FILTER_FIELDS:
        if token.kind == "phrase" and not text.strip():
            raise MalformedQuery(f"{field}: at character {token.at} needs a value")
        return Exact(field, text.strip())
    if token.kind == "phrase":
        if not text.strip():
            raise MalformedQuery(f"the quotation marks at character {token.at} hold nothing")
        return Words(text, field, phrase=True)
    if "*" in text:
        stem = text[:-1]
        if not text.endswith("*") or "*" in stem:
            star = token.at + (len(token.field) + 1 if token.field else 0) + text.index("*")
            raise MalformedQuery(f"* may only end a word, as in assess* (character {star})")
        if len(stem) < MIN_PREFIX_CHARS:
            raise MalformedQuery(
                f"a word ending in * needs at least {MIN_PREFIX_CHARS} letters before the * "
                f"(character {token.at})"
            )
        return Prefix(stem, field)
    return Words(text, field)


def _date_range(text: str, at: int) -> DateRange:
    first, dots, last = text.partition("..")
    start = _date(first, at) if first else None
    end = _date(last, at) if last else None
    if not dots:
        end = start
    if start is None and end is None:
        raise MalformedQuery(f"date: at character {at} needs a date, as in date:2025-01-31")
    if start and end and start > end:
        raise MalformedQuery(f"the date range at character {at} ends before it starts")
    return DateRange(start, end)


def _date(text: str, at: int) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        found = date.fromisoformat(text)
    except ValueError:
        raise MalformedQuery(
            f"{text!r} (character {at}) is not a date; write it as YYYY-MM-DD, "
            "and a range as 2024-01-01..2024-12-31"
        ) from None
    # The index keeps dates as nanoseconds since 1970: about 1677 to 2262.
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise MalformedQuery(
            f"{text} (character {at}) is outside the dates searched, "
            f"the years {FIRST_YEAR} to {LAST_YEAR}; leave that end of the range open"
        )
    return found


def _finds_something(node: Node) -> bool:
    """Whether the tree can match a document without every part being a NOT."""
    if isinstance(node, Not):
        return False
    if isinstance(node, AllOf):
        return any(_finds_something(item) for item in node.items)
    if isinstance(node, AnyOf):
        return all(_finds_something(item) for item in node.items)
    return True


def _not_beside_or(node: Node) -> bool:
    if isinstance(node, AnyOf):
        return any(isinstance(item, Not) or _not_beside_or(item) for item in node.items)
    if isinstance(node, AllOf):
        return any(_not_beside_or(item) for item in node.items)
    if isinstance(node, Not):
        return _not_beside_or(node.item)
    return False


def _count(node: Node) -> int:
    if isinstance(node, Not):
        return _count(node.item)
    if isinstance(node, AllOf | AnyOf):
        return sum(_count(item) for item in node.items)
    return 1
