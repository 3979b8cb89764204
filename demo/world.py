"""The invented places, offences and sentences the demo casework happens in, and its facts.

Every establishment, court, hospital and probation office here is made up
(no real prison is called HMP Fernmoor), so a screenshot of the demo can be
shown anywhere. The facts of one case are drawn once and shared by all of
its documents, so the licence, the Part A report and the e-mails agree
about dates, places and people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from demo.people import Person, staff_name

# The demo's "today": document dates are fixed relative to it, so the same
# seed gives the same bytes whenever it is loaded (see Milestone for deadlines).
ANCHOR = date(2026, 11, 30)

Facts = dict[str, str]

PRISONS = (
    "HMP Fernmoor", "HMP Calder Ridge", "HMP Westhollow", "HMP Brackenfield",
    "HMP Stonebridge Vale", "HMP Oakhaven", "HMP Marram Sands", "HMP Kestrel Moor",
)  # fmt: skip
TOWNS = (
    "Fernchester", "Ashbury", "Caldermouth", "Hollinsford", "Kingsmere", "Larkbridge",
    "Northwell", "Redhaven", "Silverdale Cross", "Thornbury Vale",
)  # fmt: skip
HOSPITALS = (
    "Millbrook Secure Hospital", "Harrowgate House Medium Secure Unit",
    "Elmstead Park Hospital", "The Rowan Clinic",
)  # fmt: skip
SOLICITORS = (
    "Hartley Quinn Solicitors", "Barrow & Finch LLP", "Cardew Lane Law",
    "Mercer Holt Solicitors", "Ashdown Prison Law",
)  # fmt: skip

# (the offence as a sentence names it, a short form for the prose, who was harmed)
OFFENCES = (
    ("wounding with intent to cause grievous bodily harm", "the wounding", "a former friend"),
    ("robbery", "the robbery", "a shop worker"),
    ("aggravated burglary", "the burglary", "an elderly householder"),
    ("causing grievous bodily harm with intent", "the assault", "an acquaintance"),
    ("possession of a firearm with intent to endanger life", "the firearm offence", "rivals"),
    ("arson with intent to endanger life", "the arson", "neighbours"),
    ("controlling or coercive behaviour and assault", "the offences", "a former partner"),
    ("manslaughter", "the manslaughter", "a man met earlier that evening"),
    ("attempted robbery with an imitation firearm", "the attempted robbery", "a cashier"),
    ("supplying class A drugs and possession of a bladed article", "the offences", "the public"),
)
SUBSTANCES = ("alcohol", "crack cocaine", "cannabis", "heroin", "cocaine", "spice")
COURSES = (
    "the Thinking Skills Programme", "Kaizen", "Building Better Relationships",
    "Resolve", "Horizon", "the Healthy Identity Intervention", "Becoming New Me+",
)  # fmt: skip
RECALL_REASONS = (
    "failing to reside at the approved address",
    "failing to attend supervision appointments",
    "loss of contact with the Probation Service",
    "being charged with a further offence",
    "breaching the exclusion zone condition",
    "failing to comply with drug testing",
    "contacting the victim in breach of the non-contact condition",
)
DIAGNOSES = (
    "paranoid schizophrenia", "schizoaffective disorder", "bipolar affective disorder",
    "a psychotic disorder with a comorbid emotionally unstable personality disorder",
)  # fmt: skip
MEDICATIONS = ("clozapine", "depot aripiprazole", "olanzapine", "paliperidone by depot")
RISK_LEVELS = ("high", "high", "medium", "very high")


def long_date(day: date) -> str:
    """12 April 2026, as letters and reports write it."""
    return f"{day.day} {day:%B %Y}"


def pronouns(sex: str) -> Facts:
    words = ("she", "her", "her", "herself") if sex == "female" else ("he", "his", "him", "himself")
    he, his, him, himself = words
    return {
        "he": he,
        "his": his,
        "him": him,
        "himself": himself,
        "He": he.capitalize(),
        "His": his.capitalize(),
    }


def person_facts(who: Person) -> Facts:
    age = ANCHOR.year - who.date_of_birth.year
    if (ANCHOR.month, ANCHOR.day) < (who.date_of_birth.month, who.date_of_birth.day):
        age -= 1
    return {
        "name": who.full_name,
        "first": who.first_name,
        "family": who.family_name,
        "title_name": f"{'Ms' if who.sex == 'female' else 'Mr'} {who.family_name}",
        "dob": long_date(who.date_of_birth),
        "age": str(age),
        "nomis": who.nomis_number,
        "pnc": who.pnc_number,
        "cro": who.cro_number,
        "prison_number": who.prison_number,
        "crn": who.crn,
        **pronouns(who.sex),
    }


@dataclass(frozen=True)
class CaseFacts:
    """One case's facts: as words for the prose, and the dates as dates for filing."""

    text: Facts
    dates: dict[str, date]


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def case_facts(rng: random.Random, who: Person, case_type: str, *, years_ago: int = 0) -> CaseFacts:
    """The facts every document of one case shares; years_ago sets an earlier, closed case."""
    anchor = ANCHOR - timedelta(days=365 * years_ago)
    offence, offence_short, victim = rng.choice(OFFENCES)
    town = rng.choice(TOWNS)
    sentenced = anchor - _days(rng, 4 * 365, 9 * 365)
    custodial = rng.randint(4, 9)
    dates = {
        "date_of_birth": who.date_of_birth,
        "offence_date": sentenced - _days(rng, 90, 300),
        "sentence_date": sentenced,
    }
    text = person_facts(who) | {
        "offence": offence,
        "offence_short": offence_short,
        "victim": victim,
        "court": f"{town} Crown Court",
        "town": town,
        "prison": rng.choice(PRISONS),
        "pdu": f"{rng.choice(TOWNS)} Probation Delivery Unit",
        "pp": staff_name(rng),
        "spo": staff_name(rng),
        "pom": staff_name(rng),
        "caseworker": staff_name(rng),
        "solicitor": staff_name(rng),
        "firm": rng.choice(SOLICITORS),
        "risk": rng.choice(RISK_LEVELS),
        "substance": rng.choice(SUBSTANCES),
        "course": rng.choice(COURSES),
        "course2": rng.choice(COURSES),
        "custodial_years": str(custodial),
        "extension_years": str(rng.randint(2, 5)),
        "hostel": f"{rng.choice(TOWNS)} Approved Premises",
        "year": str(anchor.year),
    }
    if case_type == "recall":
        more, when = _recall(rng, anchor, sentenced, custodial)
    elif case_type == "parole_review":
        more, when = _parole(rng, anchor, sentenced)
    else:
        more, when = _restricted_patient(rng, anchor)
    dates |= when
    text |= more | {name: long_date(day) for name, day in dates.items()}
    return CaseFacts(text, dates)


def _recall(
    rng: random.Random, anchor: date, sentenced: date, custodial: int
) -> tuple[Facts, dict[str, date]]:
    recalled = anchor - _days(rng, 12, 60)
    reasons = rng.sample(RECALL_REASONS, 2)
    further = "being charged with a further offence" in reasons
    dates = {
        "release_date": anchor - _days(rng, 120, 600),
        "recall_date": recalled,
        "custody_date": recalled + _days(rng, 0, 6),
        "sled": sentenced + timedelta(days=365 * (custodial + 2)),
    }
    text = {
        "reason1": reasons[0],
        "reason2": reasons[1],
        "further_offence": "yes" if further else "",
        "charge": rng.choice(
            ("assault by beating", "possession of a bladed article", "criminal damage", "theft")
        ),
        "station": f"{rng.choice(TOWNS)} Police Station",
        "recall_type": "standard" if rng.random() < 0.7 else "fixed-term",
    }
    return text, dates


def _parole(rng: random.Random, anchor: date, sentenced: date) -> tuple[Facts, dict[str, date]]:
    dates = {
        "tariff_expiry": sentenced + _days(rng, 3 * 365, 5 * 365),
        "hearing_date": anchor + _days(rng, 20, 90),
        "referral_date": anchor - _days(rng, 150, 250),
    }
    text = {
        "sentence_type": rng.choice(
            (
                "an indeterminate sentence for public protection",
                "a life sentence",
                "an extended determinate sentence",
            )
        ),
        "panel_chair": staff_name(rng),
        "psychologist": f"Dr {staff_name(rng)}",
        "category": rng.choice(("C", "C", "D", "B")),
    }
    return text, dates


def _restricted_patient(rng: random.Random, anchor: date) -> tuple[Facts, dict[str, date]]:
    dates = {
        "tribunal_date": anchor + _days(rng, 15, 80),
        "admitted": anchor - _days(rng, 2 * 365, 6 * 365),
    }
    text = {
        "hospital": rng.choice(HOSPITALS),
        "section": rng.choice(
            (
                "a hospital order with restrictions under sections 37 and 41",
                "a transfer direction with restrictions under sections 47 and 49",
            )
        ),
        "rc": f"Dr {staff_name(rng)}",
        "diagnosis": rng.choice(DIAGNOSES),
        "medication": rng.choice(MEDICATIONS),
        "social_supervisor": staff_name(rng),
        "independent": f"Dr {staff_name(rng)}",
    }
    return text, dates
