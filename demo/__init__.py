"""Demo casework: a deterministic, clearly fictional data set, filed as real users would file it.

`ppud demo load` fills an empty service with offenders, cases in the three
case types, teams and users of every level, and documents of every common
type as real PDF, Word and e-mail files, so that a first look at PPUD (and
every benchmark) has realistic records to work on.
"""

from __future__ import annotations

from demo.errors import DemoError
from demo.load import (
    DEFAULT_OFFENDERS,
    DEFAULT_SEED,
    MAX_OFFENDERS,
    MAX_SEED,
    Loader,
    LoadSummary,
    holds_casework,
)
from demo.report import describe

__all__ = [
    "DEFAULT_OFFENDERS",
    "DEFAULT_SEED",
    "MAX_OFFENDERS",
    "MAX_SEED",
    "DemoError",
    "LoadSummary",
    "Loader",
    "describe",
    "holds_casework",
]
