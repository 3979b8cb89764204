"""Fictional people: names from fixed lists and identifiers in the formats other systems use.

Every identifier is drawn so that it passes the checks real systems make
(the PNC and CRO check letters are computed, not guessed), yet the people
are invented: names are combined at random from common British names, and
NOMS numbers start with Z, a letter no prison issues today, so a demo
record is never mistaken for, or collides with, a real one loaded beside it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

# The check letters of PNC IDs and CRO numbers: the remainder of the number
# divided by 23 picks one (I, O and S are left out, as easily misread), as
# the Ministry of Justice's person-record services validate them.
CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"

MALE_NAMES = (
    "Aaron", "Adam", "Aidan", "Alan", "Andrew", "Anthony", "Ashley", "Ben", "Bradley",
    "Callum", "Carl", "Chris", "Craig", "Daniel", "Darren", "David", "Dean", "Declan",
    "Dominic", "Elliot", "Gareth", "Gary", "George", "Glen", "Graham", "Harry", "Ian",
    "Jack", "Jamal", "James", "Jason", "Jordan", "Joseph", "Kane", "Karl", "Keith",
    "Kevin", "Kieran", "Lee", "Leon", "Liam", "Luke", "Marcus", "Mark", "Martin",
    "Matthew", "Michael", "Mohammed", "Nathan", "Neil", "Nicholas", "Owen", "Patrick",
    "Paul", "Peter", "Reece", "Richard", "Robert", "Ryan", "Scott", "Sean", "Shane",
    "Simon", "Stephen", "Stuart", "Terry", "Thomas", "Tyler", "Wayne", "William",
)  # fmt: skip
FEMALE_NAMES = (
    "Amy", "Anna", "Carla", "Charlotte", "Chelsea", "Claire", "Danielle", "Donna",
    "Emma", "Gemma", "Hayley", "Jade", "Jodie", "Karen", "Kayleigh", "Kelly", "Laura",
    "Leanne", "Lisa", "Louise", "Michelle", "Natalie", "Nicola", "Rachel", "Rebecca",
    "Sarah", "Shannon", "Stacey", "Tanya", "Zoe",
)  # fmt: skip
MALE_SECOND_NAMES = (
    "Alexander", "Anthony", "David", "Edward", "James", "John", "Joseph", "Lee", "Michael",
    "Paul", "Peter", "Robert", "Thomas",
)  # fmt: skip
FEMALE_SECOND_NAMES = ("Ann", "Elizabeth", "Jane", "Louise", "Marie", "May", "Rose")
FAMILY_NAMES = (
    "Adams", "Ahmed", "Allen", "Armstrong", "Atkinson", "Bailey", "Baker", "Barker",
    "Barnes", "Bell", "Bennett", "Booth", "Bradley", "Brooks", "Brown", "Butler",
    "Campbell", "Carter", "Chapman", "Clarke", "Collins", "Cooper", "Cox", "Davies",
    "Dawson", "Dixon", "Doyle", "Edwards", "Ellis", "Evans", "Fisher", "Fletcher",
    "Foster", "Fox", "Gibson", "Graham", "Grant", "Gray", "Green", "Griffiths", "Hall",
    "Harris", "Harrison", "Hart", "Hill", "Holmes", "Hughes", "Hunt", "Hussain",
    "Jackson", "James", "Jenkins", "Johnson", "Jones", "Kelly", "Kennedy", "Khan",
    "King", "Knight", "Lawrence", "Lee", "Lewis", "Lloyd", "Marshall", "Martin",
    "Mason", "Matthews", "Mills", "Mitchell", "Moore", "Morgan", "Morris", "Murphy",
    "Murray", "Newman", "Owen", "Palmer", "Parker", "Patel", "Pearson", "Phillips",
    "Powell", "Price", "Reid", "Richards", "Roberts", "Robinson", "Rogers", "Rose",
    "Russell", "Saunders", "Scott", "Shaw", "Simpson", "Smith", "Spencer", "Stevens",
    "Stewart", "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Walsh", "Ward",
    "Watson", "Webb", "White", "Wilkinson", "Williams", "Wilson", "Wood", "Wright",
    "Young",
)  # fmt: skip
# Nicknames an alias may be given under, beside a maiden or alternative surname.
NICKNAMES = ("Jay", "Mac", "Dee", "Tiny", "Smiler", "Kez", "Robbo", "Billy", "Frankie", "Sonny")

# NOMS numbers are a letter, four digits and two letters: 10,000 x 676 of them
# behind the Z. Offender i of a seed takes the number at start + i * STEP, so
# a seed's numbers never repeat (STEP shares no factor with the count).
NOMS_COUNT = 10_000 * 26 * 26
NOMS_STEP = 1_000_003


@dataclass(frozen=True)
class Person:
    family_name: str
    given_names: str
    date_of_birth: date
    sex: str  # "male" or "female", for the pronouns of the prose
    nomis_number: str
    pnc_number: str
    cro_number: str
    prison_number: str
    crn: str
    aliases: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def first_name(self) -> str:
        return self.given_names.split()[0]


def noms_number(seed_start: int, index: int) -> str:
    """The NOMS number of offender index of the seed whose numbers begin at seed_start."""
    position = (seed_start + index * NOMS_STEP) % NOMS_COUNT
    digits, letters = divmod(position, 26 * 26)
    first, second = divmod(letters, 26)
    return f"Z{digits:04d}{chr(65 + first)}{chr(65 + second)}"


def pnc_number(year: int, serial: int) -> str:
    """A PNC ID, YYYY/NNNNNNNX: the check letter is taken from YY and the 7-digit serial."""
    check = CHECK_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]
    return f"{year:04d}/{serial:07d}{check}"


def cro_number(year: int, serial: int) -> str:
    """A CRO number, NNNNNN/YYX: the check letter is taken from YY and the 6-digit serial."""
    check = CHECK_LETTERS[int(f"{year % 100:02d}{serial:06d}") % 23]
    return f"{serial:06d}/{year % 100:02d}{check}"


def person(rng: random.Random, nomis: str, *, born_after: date, born_before: date) -> Person:
    """A fictional person drawn from rng, born between the two dates."""
    sex = "female" if rng.random() < 0.12 else "male"
    female = sex == "female"
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    second = rng.choice(FEMALE_SECOND_NAMES if female else MALE_SECOND_NAMES)
    given = f"{first} {second}" if rng.random() < 0.6 else first
    family = rng.choice(FAMILY_NAMES)
    born = born_after + timedelta(days=rng.randrange((born_before - born_after).days))

    # The first arrest is recorded between the 16th birthday and the 25th.
    arrested = min(born.year + rng.randint(16, 25), born_before.year + 18)
    aliases: list[str] = []
    if rng.random() < 0.35:
        aliases.append(f"{rng.choice(NICKNAMES)} {family}")
    if rng.random() < 0.2:
        aliases.append(f"{first} {rng.choice(FAMILY_NAMES)}")

    return Person(
        family_name=family,
        given_names=given,
        date_of_birth=born,
        sex=sex,
        nomis_number=nomis,
        pnc_number=pnc_number(arrested, rng.randrange(1, 10_000_000)),
        cro_number=cro_number(arrested, rng.randrange(1, 1_000_000)),
        # A prison (booking) number: two letters and four digits, as many establishments issue.
        prison_number=f"{rng.choice('ABCDEFGHJKLMNPRSTVWXY')}{rng.choice('ABCDEFGH')}"
        f"{rng.randrange(1000, 10000)}",
        # A probation case reference number (CRN): a letter and six digits.
        crn=f"{rng.choice('ABCDEFGHJKLMNPRSTVWXY')}{rng.randrange(100000, 1000000)}",
        aliases=tuple(aliases),
    )


def staff_name(rng: random.Random) -> str:
    """A fictional practitioner, clinician or official, first name and surname."""
    first = rng.choice(FEMALE_NAMES if rng.random() < 0.55 else MALE_NAMES)
    return f"{first} {rng.choice(FAMILY_NAMES)}"
