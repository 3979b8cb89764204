"""The lists of values the service knows, and the values each starts with.

Every value is public reference data: the territorial police forces of
England and Wales, the probation regions of the unified Probation Service
(2021), the MAPPA levels and categories of the MAPPA Guidance, the recall
types of the Recall of Determinate Sentence Prisoners policy framework.
Administrators add, relabel, reorder and retire values afterwards; what is
here is inserted only into a database that has no such list yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ListDefinition:
    name: str
    label: str
    description: str
    # (code, label) in the order they are offered.
    defaults: tuple[tuple[str, str], ...]
    # Where records hold this list's codes, as (collection, field path): a
    # value found in any of them is in use, and may be retired but not deleted.
    references: tuple[tuple[str, str], ...] = ()


def coded(*labels: str) -> tuple[tuple[str, str], ...]:
    """Values whose codes are their labels in snake_case (HMP Leeds: hmp_leeds)."""
    return tuple((re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_"), label) for label in labels)


CASE_TYPES = (
    ("recall", "Recall"),
    ("parole_review", "Parole review"),
    ("mental_health", "Restricted patient (mental health)"),
)

DOCUMENT_TYPES = (
    ("part_a_recall_report", "Part A recall report"),
    ("licence", "Licence"),
    ("oasys_assessment", "OASys assessment"),
    ("pre_sentence_report", "Pre-sentence report"),
    ("previous_convictions", "Previous convictions"),
    ("charge_sheet", "Charge sheet"),
    ("police_report", "Police report"),
    ("psychiatric_report", "Psychiatric report"),
    ("representations", "Representations"),
    ("decision_letter", "Decision letter"),
    ("revocation_order", "Revocation order"),
    ("reasons_for_recall", "Reasons for recall"),
    ("correspondence", "Correspondence"),
    ("dossier", "Dossier"),
    ("other", "Other"),
)

# A handful of real establishments; each service adds those it deals with.
ESTABLISHMENTS = coded(
    "HMP Belmarsh",
    "HMP Birmingham",
    "HMP Bristol",
    "HMP Bronzefield",
    "HMP Cardiff",
    "HMP Durham",
    "HMP Frankland",
    "HMP Leeds",
    "HMP Liverpool",
    "HMP Long Lartin",
    "HMP Manchester",
    "HMP Pentonville",
    "HMP Styal",
    "HMP Wakefield",
    "HMP Wandsworth",
    "HMP Whitemoor",
    "Ashworth Hospital",
    "Broadmoor Hospital",
    "Rampton Hospital",
)

# The 43 territorial forces of England and Wales, then the forces a recall
# most often meets beyond them.
POLICE_FORCES = coded(
    "Avon and Somerset Constabulary",
    "Bedfordshire Police",
    "Cambridgeshire Constabulary",
    "Cheshire Constabulary",
    "City of London Police",
    "Cleveland Police",
    "Cumbria Constabulary",
    "Derbyshire Constabulary",
    "Devon and Cornwall Police",
    "Dorset Police",
    "Durham Constabulary",
    "Dyfed-Powys Police",
    "Essex Police",
    "Gloucestershire Constabulary",
    "Greater Manchester Police",
    "Gwent Police",
    "Hampshire and Isle of Wight Constabulary",
    "Hertfordshire Constabulary",
    "Humberside Police",
    "Kent Police",
    "Lancashire Constabulary",
    "Leicestershire Police",
    "Lincolnshire Police",
    "Merseyside Police",
    "Metropolitan Police Service",
    "Norfolk Constabulary",
    "North Wales Police",
    "North Yorkshire Police",
    "Northamptonshire Police",
    "Northumbria Police",
    "Nottinghamshire Police",
    "South Wales Police",
    "South Yorkshire Police",
    "Staffordshire Police",
    "Suffolk Constabulary",
    "Surrey Police",
    "Sussex Police",
    "Thames Valley Police",
    "Warwickshire Police",
    "West Mercia Police",
    "West Midlands Police",
    "West Yorkshire Police",
    "Wiltshire Police",
    "British Transport Police",
    "Police Scotland",
    "Police Service of Northern Ireland",
)

PROBATION_REGIONS = coded(
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "Greater Manchester",
    "East Midlands",
    "West Midlands",
    "East of England",
    "Wales",
    "South West",
    "South Central",
    "Kent, Surrey and Sussex",
    "London",
)

MAPPA_LEVELS = (
    ("level_1", "Level 1: ordinary agency management"),
    ("level_2", "Level 2: active multi-agency management"),
    ("level_3", "Level 3: active multi-agency management with senior oversight"),
)

MAPPA_CATEGORIES = (
    ("category_1", "Category 1: registered sexual offenders"),
    ("category_2", "Category 2: violent and other sexual offenders"),
    ("category_3", "Category 3: other dangerous offenders"),
    ("category_4", "Category 4: terrorism and terrorism-risk offenders"),
)

RECALL_TYPES = (
    ("fixed_term", "Fixed term recall"),
    ("standard", "Standard recall"),
    ("emergency", "Emergency recall"),
    ("home_detention_curfew", "Home detention curfew recall"),
)

# Retention (retention/) refuses to destroy a record under a hold of any of these.
LEGAL_HOLD_REASONS = (
    ("litigation", "Litigation"),
    ("inquiry_moratorium", "Public inquiry moratorium"),
    ("mappa", "MAPPA"),
    ("subject_access_request", "Subject access request"),
    ("foi_request", "Freedom of Information request"),
    ("unlawfully_at_large", "Unlawfully at large"),
    ("restricted_patient", "Restricted patient"),
    ("other", "Other"),
)

DEFINITIONS: dict[str, ListDefinition] = {
    d.name: d
    for d in (
        ListDefinition(
            "case_types",
            "Case types",
            "The kinds of casework a case can be.",
            CASE_TYPES,
            references=(
                ("cases", "case_type"),
                ("dossier_templates", "case_types"),
                ("retention_rules", "case_types"),
            ),
        ),
        ListDefinition(
            "document_types",
            "Document types",
            "The kinds of document filed in a case.",
            DOCUMENT_TYPES,
            references=(
                ("documents", "doc_type"),
                ("dossier_templates", "sections.doc_types"),
                ("retention_rules", "doc_types"),
            ),
        ),
        ListDefinition(
            "establishments",
            "Establishments",
            "Prisons and secure hospitals.",
            ESTABLISHMENTS,
        ),
        ListDefinition(
            "police_forces",
            "Police forces",
            "The police forces of England and Wales, and others met in casework.",
            POLICE_FORCES,
        ),
        ListDefinition(
            "probation_regions",
            "Probation regions",
            "The regions of the Probation Service in England and Wales.",
            PROBATION_REGIONS,
        ),
        ListDefinition("mappa_levels", "MAPPA levels", "How an offender is managed.", MAPPA_LEVELS),
        ListDefinition(
            "mappa_categories",
            "MAPPA categories",
            "Which MAPPA category an offender falls in.",
            MAPPA_CATEGORIES,
        ),
        ListDefinition("recall_types", "Recall types", "The kinds of recall.", RECALL_TYPES),
        ListDefinition(
            "legal_hold_reasons",
            "Legal-hold reasons",
            "Why a record is held back from destruction.",
            LEGAL_HOLD_REASONS,
        ),
    )
}
