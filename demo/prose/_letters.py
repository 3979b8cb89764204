"""The shorter forms and letters: licence, convictions, orders, representations, decisions."""

from __future__ import annotations

from datetime import date, timedelta

from demo.plan import CasePlan, DocumentPlan
from demo.prose._reports import identity, revision
from demo.prose._writer import Writer, Written
from demo.world import long_date

# The standard conditions every licence carries, in the words licences use.
STANDARD_CONDITIONS = (
    "Be of good behaviour and not behave in a way which undermines the purpose of the licence "
    "period.",
    "Not commit any offence.",
    "Keep in touch with the supervising officer in accordance with instructions given by the "
    "supervising officer.",
    "Receive visits from the supervising officer in accordance with instructions given by the "
    "supervising officer.",
    "Reside permanently at an address approved by the supervising officer and obtain the prior "
    "permission of the supervising officer for any stay of one or more nights at a different "
    "address.",
    "Not undertake work, or a particular type of work, unless it is approved by the "
    "supervising officer.",
    "Not travel outside the United Kingdom, the Channel Islands or the Isle of Man except with "
    "the prior permission of the supervising officer.",
    "Tell the supervising officer if you use a name which is different to the name on this "
    "licence, and if you change or add any contact details.",
)
ADDITIONAL_CONDITIONS = (
    "Not to have contact with the victim, directly or indirectly, without the prior approval "
    "of your supervising officer.",
    "Not to enter the exclusion zone marked on the attached map without the prior approval of "
    "your supervising officer.",
    "To comply with a curfew at {hostel} between 21:00 and 07:00 each night.",
    "To attend all appointments arranged for you with the community substance misuse service.",
    "To provide a sample for drug testing when instructed by your supervising officer.",
    "Not to be in possession of more than one mobile telephone, and to give its number to "
    "your supervising officer.",
    "To notify your supervising officer of any developing intimate relationship.",
    "Not to associate with any person currently or formerly associated with the supply of "
    "controlled drugs.",
    "To comply with electronic monitoring of the curfew and the exclusion zone.",
)
# (offence, disposal) for the earlier entries of a previous convictions print.
EARLIER_OFFENCES = (
    ("Theft from a shop", "Conditional discharge 12 months"),
    ("Criminal damage", "Fine £150, compensation £80"),
    ("Assault occasioning actual bodily harm", "Community order 12 months, unpaid work 100 hours"),
    ("Possession of an offensive weapon in a public place", "Imprisonment 4 months"),
    ("Burglary (dwelling)", "Imprisonment 16 months"),
    ("Possession of a controlled drug (class B)", "Fine £80"),
    ("Battery", "Community order 12 months, rehabilitation activity 20 days"),
    ("Failing to surrender to custody at the appointed time", "Detention 1 day"),
    ("Affray", "Imprisonment 8 months"),
    ("Driving while disqualified", "Fine £200, disqualified from driving 12 months"),
    ("Handling stolen goods", "Community order 12 months"),
    ("Breach of a community order", "Order revoked and re-sentenced"),
)


def licence(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    revision(w, document, version)
    w.say(
        "This licence is issued under the Criminal Justice Act 2003 to {name}, NOMS number "
        "{nomis}, who is released from {prison} on {release_date}.",
        "The licence remains in force until {sled}, unless it is revoked before then.",
    )
    w.heading("Supervision")
    w.say(
        "You will be supervised by {pp} of {pdu}. You must report to {pp} on the day of your "
        "release, by 15:00, and then as you are told."
    )
    w.heading("Standard conditions")
    w.bullets(*(f"{number}. {text}" for number, text in enumerate(STANDARD_CONDITIONS, 1)))
    w.heading("Additional conditions")
    chosen = sorted(w.rng.sample(range(len(ADDITIONAL_CONDITIONS)), 5))
    w.bullets(*(f"{n}. {ADDITIONAL_CONDITIONS[i]}" for n, i in enumerate(chosen, 9)))
    w.heading("How you will be supervised")
    w.write("plan", 2)
    w.heading("If you do not keep to these conditions")
    w.say(
        "If you fail to comply with any condition of this licence, or if your risk increases, "
        "you may be recalled to prison.",
        "If you are recalled you will be told the reasons, and you may make representations "
        "against the recall.",
        "The Secretary of State may also vary or cancel any additional condition if it is no "
        "longer needed.",
    )
    w.say(
        "I have read this licence, or it has been read to me, and I understand its conditions.",
        "Signed by the licence holder on {release_date}, witnessed by a member of staff at "
        "{prison}.",
    )
    return Written("Licence", "Governor, {prison}", identity(case, document), tuple(w.blocks))


def previous_convictions(
    w: Writer, case: CasePlan, document: DocumentPlan, version: int
) -> Written:
    facts = case.facts
    born = facts.dates["date_of_birth"]
    sentenced = facts.dates["sentence_date"]
    rows = _convictions(w, born, sentenced)
    w.say(
        "Police National Computer print of convictions, cautions and warnings for {name}, "
        "PNC ID {pnc}, CRO number {cro}."
    )
    w.heading("Summary")
    w.table(
        ("Item", "Detail"),
        ("Convictions", f"{len(rows)} convictions for {len(rows) + w.rng.randint(2, 9)} offences"),
        ("First conviction", rows[0][0]),
        ("Most recent conviction", rows[-1][0]),
        ("Warning markers", "Violence; weapons; drugs"),
    )
    w.heading("Convictions")
    w.table(("Date", "Court", "Offence", "Disposal"), *rows)
    w.heading("Cautions, reprimands and warnings")
    w.say(
        w.choose(
            "One reprimand for theft was given as a youth; no cautions are recorded as an adult.",
            "Two cautions are recorded: one for possession of cannabis and one for "
            "a public order offence.",
        )
    )
    w.heading("Summary of offending")
    w.write("history", 2)
    return Written(
        "Previous convictions",
        "Police National Computer",
        identity(case, document),
        tuple(w.blocks),
    )


def _convictions(w: Writer, born: date, sentenced: date) -> list[tuple[str, str, str, str]]:
    """Earlier convictions from the 16th birthday onwards, then the index offence."""
    first = date(born.year + 16, born.month, min(born.day, 28))
    span = max((sentenced - first).days - 200, 30)
    count = w.rng.randint(5, 11)
    days = sorted(w.rng.sample(range(span), count))
    rows = []
    for day in days:
        when = first + timedelta(days=day)
        offence, disposal = w.rng.choice(EARLIER_OFFENCES)
        youth = (when - born).days < 18 * 365
        court = "{town} Youth Court" if youth else "{town} Magistrates' Court"
        rows.append((long_date(when), w.fill(court), offence, disposal))
    rows.append(
        (
            w.fill("{sentence_date}"),
            w.fill("{court}"),
            w.fill("{offence}").capitalize(),
            w.fill("Extended sentence: {custodial_years} years' custody, {extension_years} "
                   "years' extension"),
        )
    )  # fmt: skip
    return rows


def representations(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    revision(w, document, version)
    to = {
        "recall": "Public Protection Casework Section",
        "parole_review": "The Parole Board",
        "mental_health": "First-tier Tribunal (Mental Health)",
    }[case.case_type]
    w.say(f"To: {to}. From: {{solicitor}}, {{firm}}. Our client: {{name}} ({{nomis}}).")
    w.heading("Introduction")
    w.write("argument", 1)
    w.heading("Background")
    w.write("offence", 1)
    w.heading("Progress")
    w.write("hospital" if case.case_type == "mental_health" else "custody", 2)
    w.heading("Risk")
    w.write("clinical_risk" if case.case_type == "mental_health" else "risk", 1)
    if case.case_type == "recall":
        w.heading("The recall")
        w.write(
            "breach",
            1,
            lead="It is accepted that {title_name} did not keep to every condition of "
            "{his} licence, but the recall was not a proportionate response.",
        )
    w.heading("Submissions")
    w.write("argument", 2)
    w.heading("Conclusion")
    w.say(
        "For these reasons we invite the decision maker to find that the test is met.",
        "We are grateful for the time taken to consider these representations.",
    )
    blocks = w.numbered()
    return Written("Representations", "{solicitor}, {firm}", identity(case, document), blocks)


def decision(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    if case.case_type == "mental_health":
        return _leave_decision(w, case, document)
    w.say("Decision of the Parole Board concerning {name} ({nomis}), held at {prison}.")
    w.heading("Decision")
    w.say(
        w.choose(
            "The panel does not direct the release of {title_name}.",
            "The panel does not direct release, and does not recommend a move to open conditions.",
        ),
        "{He} will be referred for a further review in the usual way.",
    )
    w.heading("Background")
    w.write("offence", 1)
    w.heading("Progress in custody")
    w.write("custody", 1)
    w.heading("Evidence considered")
    w.bullets(
        "The dossier of documents, including the reports of the probation practitioner and "
        "the prison offender manager.",
        "The representations made by {firm}.",
        "The oral evidence of {pp} and {pom}.",
    )
    w.heading("Reasons")
    w.write("reasons", 2)
    w.heading("Assessment of risk")
    w.write("risk", 1)
    w.heading("Conclusion")
    w.write("reasons", 1)
    return Written("Decision letter", "{panel_chair}" if "panel_chair" in case.facts.text
                   else "Parole Board", identity(case, document), tuple(w.blocks))  # fmt: skip


def _leave_decision(w: Writer, case: CasePlan, document: DocumentPlan) -> Written:
    w.say(
        "Mental Health Casework Section, on behalf of the Secretary of State for Justice. "
        "To {rc}, responsible clinician, {hospital}."
    )
    w.heading("Decision")
    w.say(
        "The Secretary of State agrees to unescorted community leave for {title_name}, "
        "within the limits set out below.",
        "This consent is given under section 41(3)(c)(i) of the Mental Health Act 1983.",
    )
    w.heading("Background")
    w.write("hospital", 2)
    w.heading("Reasons")
    w.write("clinical_risk", 2)
    w.heading("Conditions of leave")
    w.bullets(
        "Leave is limited to {town} and to daytime hours.",
        "{title_name} must not enter the exclusion zone around the victim's home.",
        "Leave must be suspended at once if there is any sign of relapse or use of {substance}.",
        "The hospital must tell this office of any failure to return on time.",
    )
    w.heading("Review")
    w.say(
        "The Secretary of State will review this consent after the tribunal hearing on "
        "{tribunal_date}, or sooner if the clinical team asks."
    )
    return Written("Decision on community leave", "{caseworker}", identity(case, document),
                   tuple(w.blocks))  # fmt: skip


def charge_sheet(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    w.heading("Charge")
    w.say(
        "You are charged with the offence of {charge}, committed at {town} on "
        + long_date(document.document_date)
        + ".",
        "You do not have to say anything. But it may harm your defence if you do not mention "
        "now something which you later rely on in court. Anything you do say may be given in "
        "evidence.",
    )
    w.heading("Custody record")
    w.table(
        ("Item", "Detail"),
        ("Station", "{station}"),
        ("Custody number", f"{w.rng.randint(10, 99)}/{w.rng.randint(10000, 99999)}/26"),
        ("Officer in the case", f"DC {w.choose('Lloyd', 'Harper', 'Osei', 'Quinn', 'Bishop')}"),
    )
    w.heading("Summary of evidence")
    w.write("arrest", 2)
    w.heading("Bail")
    w.say(
        "Bail was refused because there are substantial grounds for believing that "
        "{title_name} would commit further offences, and because {he} is subject to licence."
    )
    return Written("Charge sheet", "{station}", identity(case, document), tuple(w.blocks))


def revocation(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    w.heading("Revocation of licence")
    w.say(
        "The Secretary of State for Justice, in exercise of the power conferred by section 254 "
        "of the Criminal Justice Act 2003, revokes the licence of {name}, NOMS number {nomis}, "
        "released from {prison} on {release_date}, and recalls {him} to prison.",
        "This is a {recall_type} recall, made on {recall_date}.",
    )
    w.heading("Reasons for recall")
    w.bullets("You are recalled for {reason1}.", "You are recalled for {reason2}.")
    w.write("breach", 1)
    w.heading("Your licence")
    w.write("licence_compliance", 2)
    w.heading("The risk you present")
    w.write("risk", 1)
    w.heading("Your right to make representations")
    w.say(
        "You may make representations in writing about your recall.",
        "Your case will be referred to the Parole Board, which will decide whether you should "
        "be released again.",
        "You may seek advice from a solicitor; legal aid may be available.",
    )
    w.say("Signed {caseworker}, Public Protection Casework Section, on behalf of the Secretary "
          "of State.")  # fmt: skip
    return Written("Revocation of licence", "{caseworker}", identity(case, document),
                   tuple(w.blocks))  # fmt: skip
