"""What the demo set holds, decided from the seed alone before anything is stored.

Offender i of a seed is drawn from a generator of its own (seeded with the
seed and i), so it is the same person with the same cases and documents
however many offenders are loaded: `--offenders 50` extends `--offenders
12`, and a second load finds everything the first one stored. Nothing here
touches the database; the loader (demo.load) files what a plan describes.

Offender 0 carries the set's fixed features: a recall case with a report
in three versions, checked out, and the parole review that followed it,
whose dossier is built, both associated to the external user.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from demo.people import NOMS_COUNT, Person, noms_number, person
from demo.world import ANCHOR, CaseFacts, case_facts

TEAMS = {"recall": "ppcs-recall", "parole_review": "ppcs-parole", "mental_health": "mhcs"}
# The primary case type of offender i is CYCLE[i % 3] (offender 0 also has a parole review).
CYCLE = ("recall", "mental_health", "parole_review")
BORN_AFTER, BORN_BEFORE = date(1962, 1, 1), date(2004, 1, 1)
# Marks what the demo filed, in each document's metadata, for finding it again.
MARKER = "demo_key"


@dataclass(frozen=True)
class Milestone:
    """A date a case works to, counted from the day of loading.

    A deadline due in a week stays due in a week whenever the set is loaded:
    demo.schedule times a case's moves through its workflow so that the
    deadline its workflow sets falls on the case's deadline milestone. met
    says whether the work was done by then.
    """

    name: str
    label: str
    days_from_today: int
    met: bool

    @property
    def status(self) -> str:
        if self.met:
            return "met"
        return "overdue" if self.days_from_today < 0 else "due"


@dataclass(frozen=True)
class DocumentPlan:
    key: str
    doc_type: str
    title: str
    fmt: str  # "pdf", "docx" or "eml"
    document_date: date
    marking: str
    # A comment for each version after the first: len(comments) + 1 versions.
    comments: tuple[str, ...] = ()
    shared_with_external: bool = False
    checked_out: bool = False

    @property
    def versions(self) -> int:
        return len(self.comments) + 1


@dataclass(frozen=True)
class CasePlan:
    key: str
    case_type: str
    title: str
    team: str
    facts: CaseFacts
    documents: tuple[DocumentPlan, ...]
    milestones: tuple[Milestone, ...]
    # The milestone the workflow's deadline for the case falls on (demo.schedule).
    deadline: Milestone
    # The workflow states the case should stand in, the first its documents allow
    # (records/workflow_defaults).
    stages: tuple[str, ...]
    external: bool = False
    dossier_template: str | None = None


@dataclass(frozen=True)
class OffenderPlan:
    index: int
    seed: int
    person: Person
    cases: tuple[CasePlan, ...] = field(default=())

    def rng_for(self, *parts: object) -> random.Random:
        """A generator for one part of this offender's record, independent of the others."""
        return random.Random(
            ":".join(["ppud-demo", str(self.seed), str(self.index), *map(str, parts)])
        )


def offender_plans(seed: int, count: int) -> Iterator[OffenderPlan]:
    """The first count offenders of the seed, one at a time (none is kept)."""
    start = random.Random(f"ppud-demo:{seed}").randrange(NOMS_COUNT)
    for index in range(count):
        yield offender_plan(seed, index, start)


def offender_plan(seed: int, index: int, noms_start: int) -> OffenderPlan:
    rng = random.Random(f"ppud-demo:{seed}:{index}")
    who = person(
        rng, noms_number(noms_start, index), born_after=BORN_AFTER, born_before=BORN_BEFORE
    )
    bare = OffenderPlan(index, seed, who)

    primary = CYCLE[index % len(CYCLE)]
    cases = [_case(bare, primary, years_ago=0)]
    if index == 0:
        cases.append(_case(bare, "parole_review", years_ago=0))
    elif rng.random() < 0.2:
        cases.append(_case(bare, primary, years_ago=2))
    return OffenderPlan(index, seed, who, tuple(cases))


def _case(offender: OffenderPlan, case_type: str, *, years_ago: int) -> CasePlan:
    key = f"{case_type}-{ANCHOR.year - years_ago}"
    rng = offender.rng_for(key)
    facts = case_facts(rng, offender.person, case_type, years_ago=years_ago)
    closed = years_ago > 0
    featured = offender.index == 0
    documents = _DOCUMENTS[case_type](rng, facts, featured=featured, closed=closed)
    milestones = _milestones(rng, case_type, closed=closed, featured=featured)
    deadline = next(m for m in milestones if m.name == _DEADLINES[case_type])
    return CasePlan(
        key=key,
        case_type=case_type,
        title=_TITLES[case_type].format_map(facts.text),
        team=TEAMS[case_type],
        facts=facts,
        documents=tuple(documents),
        milestones=milestones,
        deadline=deadline,
        stages=_stages(case_type, closed=closed, met=deadline.met),
        external=featured,
        dossier_template="parole_review" if featured and case_type == "parole_review" else None,
    )


_TITLES = {
    "recall": "Recall {year}: {reason1}",
    "parole_review": "Parole review {year}",
    "mental_health": "Restricted patient: tribunal {year}",
}
# A case stands in the first of its states that the workflow lets it reach. Serving a
# recall dossier and disclosing a parole dossier need a dossier built, which only the
# featured parole review has: the other cases wait in the state before.
_STAGES = {
    "recall": ("awaiting_part_b", "dossier_preparation"),
    "parole_review": ("disclosed", "collecting_reports"),
    "mental_health": ("tribunal_listed",),
}
# A met deadline has moved the case on to the state that met it.
_MET_STAGES = {
    "recall": (),  # serving the dossier meets it, which _STAGES already asks for
    "parole_review": ("referred",),
    "mental_health": ("conditionally_discharged",),
}
# A case of two years ago ended; the states that need a dossier give way to the others.
_CLOSED_STAGES = {
    "recall": ("closed", "rescinded"),
    "parole_review": ("final", "withdrawn"),
    "mental_health": ("absolutely_discharged",),
}
# The milestone the case's workflow deadline stands for: serving the recall dossier,
# representations on the disclosed parole dossier, the statement to the tribunal.
_DEADLINES = {"recall": "recall_dossier", "parole_review": "reports", "mental_health": "statement"}


def _stages(case_type: str, *, closed: bool, met: bool) -> tuple[str, ...]:
    if closed:
        return _CLOSED_STAGES[case_type]
    if met:
        return _MET_STAGES[case_type] + _STAGES[case_type]
    return _STAGES[case_type]


def _on(facts: CaseFacts, name: str, shift: int = 0) -> date:
    """The date of the case named name, moved by shift days."""
    return facts.dates[name] + timedelta(days=shift)


def _recall_documents(
    rng: random.Random, facts: CaseFacts, *, featured: bool, closed: bool
) -> list[DocumentPlan]:
    recalled = _on(facts, "recall_date")
    shared = featured
    part_a_comments: tuple[str, ...] = ("countersigned by the senior probation officer",)
    if featured:
        part_a_comments += ("corrected the date of the last home visit",)
    found = [
        DocumentPlan("licence", "licence", "Licence", "pdf", _on(facts, "release_date"),
                     "OFFICIAL-SENSITIVE", shared_with_external=shared),
        DocumentPlan("part-a", "part_a_recall_report", "Part A recall report", "docx", recalled,
                     "OFFICIAL-SENSITIVE", comments=part_a_comments, shared_with_external=shared,
                     checked_out=featured),
        DocumentPlan("previous-convictions", "previous_convictions",
                     "Previous convictions (PNC print)", "pdf", _on(facts, "recall_date", -1),
                     "OFFICIAL-SENSITIVE", shared_with_external=shared),
        DocumentPlan("psr", "pre_sentence_report", "Pre-sentence report",
                     rng.choice(("pdf", "docx")), _on(facts, "sentence_date", -21),
                     "OFFICIAL-SENSITIVE"),
        DocumentPlan("oasys", "oasys_assessment", "OASys summary", "pdf",
                     _on(facts, "recall_date", -rng.randint(20, 90)), "OFFICIAL-SENSITIVE",
                     comments=("risk of serious harm section reviewed",) if rng.random() < 0.3
                     else ()),
        DocumentPlan("revocation", "revocation_order", "Revocation of licence", "pdf", recalled,
                     "OFFICIAL"),
        DocumentPlan("email-request", "correspondence", "E-mail: recall request", "eml", recalled,
                     "OFFICIAL-SENSITIVE"),
        DocumentPlan("email-custody", "correspondence", "E-mail: return to custody", "eml",
                     _on(facts, "custody_date"), "OFFICIAL"),
    ]  # fmt: skip
    if facts.text["further_offence"]:
        found.append(
            DocumentPlan("charge-sheet", "charge_sheet", "Charge sheet", "pdf",
                         _on(facts, "recall_date", -1), "OFFICIAL-SENSITIVE")
        )  # fmt: skip
    if closed or rng.random() < 0.5:
        found.append(
            DocumentPlan("representations", "representations", "Representations against recall",
                         "pdf", _on(facts, "custody_date", 14), "OFFICIAL-SENSITIVE")
        )  # fmt: skip
    if closed:
        found.append(
            DocumentPlan("decision", "decision_letter", "Decision on re-release", "pdf",
                         _on(facts, "custody_date", 40), "OFFICIAL")
        )  # fmt: skip
    return found


def _parole_documents(
    rng: random.Random, facts: CaseFacts, *, featured: bool, closed: bool
) -> list[DocumentPlan]:
    referred = _on(facts, "referral_date")
    shared = featured
    found = [
        DocumentPlan("previous-convictions", "previous_convictions",
                     "Previous convictions (PNC print)", "pdf", referred, "OFFICIAL-SENSITIVE",
                     shared_with_external=shared),
        DocumentPlan("psr", "pre_sentence_report", "Pre-sentence report", "docx",
                     _on(facts, "sentence_date", -21), "OFFICIAL-SENSITIVE",
                     shared_with_external=shared),
        DocumentPlan("oasys", "oasys_assessment", "OASys summary", "pdf",
                     _on(facts, "referral_date", 30), "OFFICIAL-SENSITIVE",
                     shared_with_external=shared),
        DocumentPlan("representations", "representations", "Legal representations",
                     rng.choice(("pdf", "docx")), _on(facts, "referral_date", 100),
                     "OFFICIAL-SENSITIVE", comments=("updated after the psychology report",),
                     shared_with_external=shared),
        DocumentPlan("email-listing", "correspondence", "E-mail: hearing listed", "eml",
                     _on(facts, "referral_date", 60), "OFFICIAL"),
    ]  # fmt: skip
    if featured or closed or rng.random() < 0.7:
        found.append(
            DocumentPlan("psychology", "psychiatric_report", "Psychological risk assessment",
                         "pdf", _on(facts, "referral_date", 75), "OFFICIAL-SENSITIVE",
                         shared_with_external=shared)
        )  # fmt: skip
    if closed:
        found.append(
            DocumentPlan("decision", "decision_letter", "Parole Board decision", "pdf",
                         _on(facts, "hearing_date", 14), "OFFICIAL")
        )  # fmt: skip
    return found


def _patient_documents(
    rng: random.Random, facts: CaseFacts, *, featured: bool, closed: bool
) -> list[DocumentPlan]:
    tribunal = _on(facts, "tribunal_date")
    return [
        DocumentPlan("rc-report", "psychiatric_report", "Responsible clinician's report", "pdf",
                     _on(facts, "tribunal_date", -35), "OFFICIAL-SENSITIVE",
                     comments=("medication section updated",)),
        DocumentPlan("independent", "psychiatric_report", "Independent psychiatric report",
                     "docx", _on(facts, "tribunal_date", -28), "OFFICIAL-SENSITIVE"),
        DocumentPlan("previous-convictions", "previous_convictions",
                     "Previous convictions (PNC print)", "pdf", _on(facts, "admitted", -30),
                     "OFFICIAL-SENSITIVE"),
        DocumentPlan("representations", "representations", "Representations for the patient",
                     "pdf", _on(facts, "tribunal_date", -10), "OFFICIAL-SENSITIVE"),
        DocumentPlan("decision", "decision_letter", "Decision on community leave", "pdf",
                     _on(facts, "tribunal_date", -60 + rng.randint(0, 20)), "OFFICIAL"),
        DocumentPlan("email-leave", "correspondence", "E-mail: leave request", "eml",
                     tribunal - timedelta(days=70), "OFFICIAL-SENSITIVE"),
    ]  # fmt: skip


_DOCUMENTS = {
    "recall": _recall_documents,
    "parole_review": _parole_documents,
    "mental_health": _patient_documents,
}

# (name, label, the earliest and latest day relative to today it falls on)
_MILESTONES = {
    "recall": (
        ("recall_dossier", "Recall dossier due to the Parole Board", -20, -5),
        ("part_b", "Part B report due from the probation practitioner", -6, 12),
        ("representations", "Representations window closes", 5, 28),
    ),
    "parole_review": (
        ("dossier", "Dossier served on the Parole Board", -60, -30),
        ("reports", "Reports due from the prison and probation", -14, 10),
        ("hearing", "Oral hearing", 20, 90),
    ),
    "mental_health": (
        ("statement", "Secretary of State's statement due to the tribunal", -10, 7),
        ("leave", "Decision on community leave due", -20, 14),
        ("tribunal", "Tribunal hearing", 15, 80),
    ),
}


def _milestones(
    rng: random.Random, case_type: str, *, closed: bool, featured: bool
) -> tuple[Milestone, ...]:
    found = []
    for number, (name, label, earliest, latest) in enumerate(_MILESTONES[case_type]):
        days = rng.randint(earliest, latest)
        if featured and number == 1:
            days = rng.randint(1, 6)  # and one due within the week, for the home page
        if closed:
            found.append(Milestone(name, label, days - 730, met=True))
            continue
        # Past dates are mostly met; the featured case keeps one overdue for the home page.
        met = days < 0 and rng.random() < 0.6 and not (featured and number == 0)
        found.append(Milestone(name, label, days, met=met))
    return tuple(found)
