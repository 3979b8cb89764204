"""E-mail threads between the people working a case, each quoting the messages before it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from demo.plan import CasePlan, DocumentPlan
from demo.prose._writer import Message, Thread, Writer

# Who writes: a fact naming the person (or a fixed name), and the domain of their mailbox.
# The domains end in .example (RFC 2606): no message could ever be delivered.
_PEOPLE = {
    "pp": ("{pp}", "probation.example"),
    "caseworker": ("{caseworker}", "justice.example"),
    "pom": ("{pom}", "prison.example"),
    "rc": ("{rc}", "nhs.example"),
    "police": ("Custody Sergeant, {station}", "police.example"),
    "listings": ("Listings Team, The Parole Board", "paroleboard.example"),
}

# (sender, recipient, opening, topics of the paragraphs after it, closing)
Step = tuple[str, str, str, tuple[str, ...], str]

_THREADS: dict[str, tuple[str, tuple[Step, ...]]] = {
    "email-request": (
        "Recall request: {name} ({nomis})",
        (
            ("pp", "caseworker", "I am writing to request the recall of {title_name}, whose "
             "licence I supervise.", ("breach", "risk"), "The Part A report follows today."),
            ("caseworker", "pp", "Thank you for the request. Before I put it to the duty "
             "manager, could you confirm the history of warnings?", ("licence_compliance",),
             "I will come back to you within the hour."),
            ("pp", "caseworker", "Yes: the warning letters are on the file, and I have "
             "summarised the position below.", ("licence_compliance", "plan"),
             "Please call me if anything is unclear."),
            ("caseworker", "pp", "The recall has been authorised and the revocation was issued "
             "on {recall_date}.", ("breach",), "The police have been notified."),
        ),
    ),
    "email-custody": (
        "Returned to custody: {name} ({nomis})",
        (
            ("police", "caseworker", "{title_name} was arrested on the recall warrant this "
             "morning and is in custody here.", ("arrest",), "Please confirm the prison "
             "that will receive {him}."),
            ("caseworker", "police", "Thank you. {He} is to be taken to {prison}.",
             ("breach",), "The recall dossier will follow."),
            ("caseworker", "pp", "For your information, {title_name} returned to custody on "
             "{custody_date}.", ("risk", "victim"), "The Part B report is now due."),
        ),
    ),
    "email-listing": (
        "Oral hearing listed: {name} ({nomis})",
        (
            ("listings", "caseworker", "An oral hearing has been listed for {hearing_date} "
             "before a panel chaired by {panel_chair}.", ("directions",), "Please confirm the "
             "witnesses by return."),
            ("caseworker", "pom", "Please see the listing below. Could you give an update on "
             "{title_name}'s progress for the panel?", ("risk",), "Thank you."),
            ("pom", "caseworker", "Happy to help. {title_name} remains at {prison}.",
             ("custody", "protective"), "I will be available to give evidence."),
            ("caseworker", "listings", "The witnesses will be {pom} and {pp}.", ("plan",),
             "The dossier has been served."),
        ),
    ),
    "email-leave": (
        "Request for community leave: {name}",
        (
            ("rc", "caseworker", "I write to ask the Secretary of State's consent to "
             "unescorted community leave for {title_name}.", ("hospital", "clinical_risk"),
             "The leave plan is attached."),
            ("caseworker", "rc", "Thank you. Could you say more about the relapse indicators "
             "and how leave would be suspended?", ("clinical_risk",), "We aim to decide "
             "within four weeks."),
            ("rc", "caseworker", "Certainly. The team has discussed this in detail.",
             ("hospital", "clinical_risk"), "I am happy to discuss by telephone."),
        ),
    ),
}  # fmt: skip


def thread(w: Writer, case: CasePlan, document: DocumentPlan) -> Thread:
    subject, steps = _THREADS[document.key]
    sent = datetime.combine(document.document_date, time(8, 30), UTC)
    messages = []
    for sender, recipient, opening, topics, closing in steps:
        sent += timedelta(minutes=w.rng.randint(25, 240))
        name, address = _person(w, sender)
        to, to_address = _person(w, recipient)
        paragraphs = [f"Dear {to.split(',')[0]},", w.fill(opening)]
        for topic in topics:
            paragraphs.append(" ".join(w.sentences(topic, w.rng.randint(4, 6))))
        paragraphs += [w.fill(closing), f"Kind regards,\n{name}"]
        messages.append(Message(name, address, to, to_address, sent, tuple(paragraphs)))
    return Thread(w.fill(subject), tuple(messages))


def _person(w: Writer, role: str) -> tuple[str, str]:
    named, domain = _PEOPLE[role]
    name = w.fill(named)
    local = re.sub(r"[^a-z]+", ".", name.lower().split(",")[0]).strip(".")
    return name, f"{local}@{domain}"
