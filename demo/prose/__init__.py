"""What each demo document says: realistic casework prose assembled from the case's facts.

A version is written from a generator of its own (the seed, offender, case,
document and version), so the same plan always gives the same words and a
second version reads differently from the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from demo.plan import CasePlan, DocumentPlan, OffenderPlan
from demo.prose import _letters, _reports
from demo.prose._emails import thread
from demo.prose._writer import Block, Message, Thread, Writer, Written

__all__ = ["NOTICE", "Block", "Message", "Thread", "Written", "compose"]

# On the first page of every generated document, so nobody takes it for a real record.
NOTICE = "FICTIONAL DEMO DATA: every person, place and event in this document is invented."

Compose = Callable[[Writer, CasePlan, DocumentPlan, int], Written]

_BY_TYPE: dict[str, Compose] = {
    "part_a_recall_report": _reports.part_a,
    "oasys_assessment": _reports.oasys,
    "pre_sentence_report": _reports.pre_sentence,
    "licence": _letters.licence,
    "previous_convictions": _letters.previous_convictions,
    "representations": _letters.representations,
    "decision_letter": _letters.decision,
    "charge_sheet": _letters.charge_sheet,
    "revocation_order": _letters.revocation,
}


def compose(
    offender: OffenderPlan, case: CasePlan, document: DocumentPlan, version: int
) -> Written | Thread:
    """The words of one version of one document."""
    w = Writer(offender.rng_for(case.key, document.key, version), case.facts.text)
    if document.fmt == "eml":
        return thread(w, case, document)
    build: Compose
    if document.doc_type == "psychiatric_report":
        build = _reports.psychology if case.case_type == "parole_review" else _reports.clinical
    else:
        build = _BY_TYPE[document.doc_type]

    written = build(w, case, document, version)
    return replace(written, author=w.fill(written.author))
