"""What a generated document says, as blocks the file formats lay out, and who writes it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from demo.prose._pools import POOLS
from demo.world import Facts

BlockKind = Literal["heading", "paragraph", "bullets", "table"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str = ""
    items: tuple[str, ...] = ()
    # A table's rows, the first being its header.
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Written:
    """A report, letter or form: a title, the identifying fields, then the body."""

    title: str
    author: str
    fields: tuple[tuple[str, str], ...]
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Message:
    sender: str
    sender_address: str
    to: str
    to_address: str
    sent: datetime
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Thread:
    """An e-mail and the earlier messages it quotes, oldest first."""

    subject: str
    messages: tuple[Message, ...]


@dataclass
class Writer:
    """Draws sentences from the pools without repeating one within a document."""

    rng: random.Random
    facts: Facts
    blocks: list[Block] = field(default_factory=list)
    _used: dict[str, set[int]] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        return template.format_map(self.facts)

    def heading(self, text: str) -> None:
        self.blocks.append(Block("heading", self.fill(text)))

    def say(self, *templates: str) -> None:
        """One paragraph of the given sentences, filled with the facts."""
        self.blocks.append(Block("paragraph", " ".join(self.fill(t) for t in templates)))

    def bullets(self, *templates: str) -> None:
        self.blocks.append(Block("bullets", items=tuple(self.fill(t) for t in templates)))

    def table(self, *rows: tuple[str, ...]) -> None:
        filled = tuple(tuple(self.fill(cell) for cell in row) for row in rows)
        self.blocks.append(Block("table", rows=filled))

    def sentences(self, topic: str, count: int) -> list[str]:
        """count sentences of topic, in the pool's order, none used before in this document."""
        pool = POOLS[topic]
        used = self._used.setdefault(topic, set())
        fresh = [number for number in range(len(pool)) if number not in used]
        if len(fresh) < count:
            # The pool is spent: start again rather than write a short paragraph.
            used.clear()
            fresh = list(range(len(pool)))
        chosen = sorted(self.rng.sample(fresh, min(count, len(fresh))))
        used.update(chosen)
        return [self.fill(pool[number]) for number in chosen]

    def write(self, topic: str, paragraphs: int = 1, *, lead: str | None = None) -> None:
        """paragraphs paragraphs of 4 to 6 sentences of topic; lead opens the first."""
        for number in range(paragraphs):
            said = self.sentences(topic, self.rng.randint(4, 6))
            if lead and number == 0:
                said.insert(0, self.fill(lead))
            self.blocks.append(Block("paragraph", " ".join(said)))

    def choose(self, *templates: str) -> str:
        return self.fill(self.rng.choice(templates))

    def numbered(self) -> tuple[Block, ...]:
        """The blocks with their paragraphs numbered, as legal submissions are."""
        number = 0
        found = []
        for block in self.blocks:
            if block.kind == "paragraph":
                number += 1
                block = Block("paragraph", f"{number}. {block.text}")
            found.append(block)
        return tuple(found)
