"""The long reports: Part A recall report, OASys summary, pre-sentence report, clinical reports."""

from __future__ import annotations

from demo.plan import CasePlan, DocumentPlan
from demo.prose._writer import Writer, Written
from demo.world import long_date


def identity(case: CasePlan, document: DocumentPlan) -> tuple[tuple[str, str], ...]:
    """The fields a form opens with: who the document is about, and when it was written."""
    facts = case.facts.text
    where = ("Hospital", facts["hospital"]) if "hospital" in facts else ("Prison", facts["prison"])
    return (
        ("Name", facts["name"]),
        ("Date of birth", facts["dob"]),
        ("NOMS number", facts["nomis"]),
        ("PNC ID", facts["pnc"]),
        ("CRO number", facts["cro"]),
        where,
        ("Probation case reference", facts["crn"]),
        ("Date of document", long_date(document.document_date)),
    )


def revision(w: Writer, document: DocumentPlan, version: int) -> None:
    """A later version says what changed, as a revised report does on its first page."""
    if version > 1:
        w.heading("Revision")
        w.say(
            f"Version {version} of this document: {document.comments[version - 2]}. "
            f"It replaces version {version - 1} in full."
        )


def part_a(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    revision(w, document, version)
    w.heading("1. Reason for this report")
    w.say(
        "This report requests the {recall_type} recall of {title_name}, who was released on "
        "licence on {release_date} and is supervised by {pp} of {pdu}."
    )
    w.write("breach", 1)
    w.heading("2. Index offence and sentence")
    w.write(
        "offence",
        2,
        lead="On {sentence_date} at {court}, {title_name} received an extended sentence of "
        "{custodial_years} years' custody with an extension period of {extension_years} years.",
    )
    w.heading("3. Previous offending")
    w.write("history", 1)
    w.heading("4. Behaviour on licence")
    w.write("licence_compliance", 2)
    w.heading("5. Circumstances leading to recall")
    w.write("breach", 2)
    w.heading("6. Risk of serious harm")
    w.write("risk", 2)
    w.heading("7. Factors linked to reoffending")
    w.write("factors", 1)
    w.heading("8. Alternatives to recall")
    w.write(
        "plan",
        1,
        lead="Before requesting recall, the following measures were considered as a way of "
        "managing the risk in the community.",
    )
    w.heading("9. Victim issues")
    w.write("victim", 1)
    w.heading("10. Declaration")
    w.table(
        ("Role", "Name", "Date"),
        ("Probation practitioner", "{pp}", "{recall_date}"),
        (
            "Senior probation officer (countersignature)",
            "{spo}" if version > 1 else "awaited",
            "{recall_date}" if version > 1 else "",
        ),
    )
    return Written("Part A: recall report", "{pp}", identity(case, document), tuple(w.blocks))


def oasys(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    revision(w, document, version)
    w.heading("Assessment details")
    w.table(
        ("Item", "Detail"),
        ("Assessment type", w.choose("Review", "Start of custody", "Pre-release review")),
        ("Assessor", "{pom}"),
        ("Countersigned by", "{spo}"),
        ("Sentence", "{custodial_years} years' custody, extension period {extension_years} years"),
    )
    w.heading("Offence analysis")
    w.write("offence", 2)
    w.heading("Criminogenic needs")
    needs = ("Accommodation", "Education, training and employment", "Finance", "Relationships",
             "Lifestyle and associates", "Drug misuse", "Alcohol misuse", "Thinking and behaviour",
             "Attitudes")  # fmt: skip
    w.table(
        ("Area", "Score (0-2)", "Linked to risk of serious harm", "Linked to reoffending"),
        *((need, str(w.rng.randint(0, 2)), w.choose("Yes", "No"), w.choose("Yes", "No"))
          for need in needs),
    )  # fmt: skip
    w.write("factors", 2)
    w.heading("Risk of serious harm summary")
    w.table(
        ("Risk to", "In custody", "In the community"),
        ("The public", "Low", "{risk}"),
        ("A known adult", "Medium", w.choose("High", "Medium")),
        ("Children", "Low", "Low"),
        ("Staff", "Low", w.choose("Low", "Medium")),
    )
    w.write("risk", 2)
    w.heading("Protective factors")
    w.write("protective", 1)
    w.heading("Sentence plan objectives")
    w.bullets(
        "Remain abstinent from {substance}, evidenced by negative tests.",
        "Complete {course2} and apply its skills when under pressure.",
        "Secure and keep suitable accommodation on release.",
        "Engage with education, training or employment.",
        "Comply fully with the requirements of supervision.",
    )
    w.heading("Risk management")
    w.write("plan", 2)
    return Written("OASys summary sheet", "{pom}", identity(case, document), tuple(w.blocks))


def pre_sentence(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    revision(w, document, version)
    w.heading("1. Introduction")
    w.say(
        "This report has been prepared for {court} to assist the court in sentencing "
        "{title_name}, who has pleaded guilty to {offence}."
    )
    w.heading("2. Sources of information")
    w.bullets(
        "Two interviews with {title_name}, one in person and one by video link.",
        "The Crown Prosecution Service case summary and witness statements.",
        "The police national computer record of previous convictions.",
        "Previous probation records held by {pdu}.",
        "A telephone conversation with {his} mother.",
    )
    w.heading("3. Offence analysis")
    w.write("offence", 2)
    w.heading("4. Offender assessment")
    w.write("history", 1)
    w.write("factors", 2)
    w.heading("5. Assessment of the risk of harm")
    w.write("risk", 2)
    w.heading("6. Conclusion")
    w.say(
        w.choose(
            "Given the seriousness of the offence, a custodial sentence appears inevitable.",
            "The court will be considering a lengthy custodial sentence.",
        ),
        "Should the court consider that {title_name} meets the criteria for dangerousness, "
        "an extended sentence would allow a longer period of supervision on licence.",
        "{He} has said that {he} would comply with any licence conditions imposed.",
    )
    return Written("Pre-sentence report", "{pp}", identity(case, document), tuple(w.blocks))


def clinical(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    """A responsible clinician's or independent psychiatrist's report to the tribunal."""
    independent = document.key == "independent"
    author = "{independent}" if independent else "{rc}"
    revision(w, document, version)
    w.heading("1. Introduction")
    w.say(
        f"I am {author}, "
        + (
            "a consultant forensic psychiatrist instructed by {firm} on behalf of {title_name}. "
            if independent
            else "{his} responsible clinician at {hospital}. "
        )
        + "This report is prepared for the First-tier Tribunal (Mental Health) hearing listed "
        "for {tribunal_date}."
    )
    w.heading("2. Sources of information")
    w.bullets(
        "The clinical records held by {hospital}.",
        "Interviews with {title_name} on the ward.",
        "Discussions with {his} named nurse and the social supervisor, {social_supervisor}.",
        "The previous convictions record and the depositions from the index offence.",
    )
    w.heading("3. Background and history")
    w.write("history", 1)
    w.heading("4. The index offence")
    w.write("offence", 1)
    w.heading("5. Mental health history and progress in hospital")
    w.write("hospital", 2)
    w.heading("6. Current mental state")
    w.say(
        "At interview {title_name} was appropriately dressed, calm and polite.",
        "Speech was normal in rate and volume; there was no evidence of formal thought disorder.",
        w.choose(
            "{He} denied hearing voices and no psychotic phenomena were elicited.",
            "{He} described occasional residual suspicious thoughts, which {he} is able to "
            "dismiss.",
        ),
        "Mood was euthymic and there were no thoughts of self-harm.",
    )
    w.heading("7. Risk assessment")
    w.write("clinical_risk", 2)
    w.heading("8. Opinion")
    w.write(
        "clinical_risk",
        1,
        lead="In my opinion {title_name} continues to suffer from {diagnosis}, a mental "
        "disorder of a nature which makes detention in hospital appropriate.",
    )
    w.heading("9. Recommendations")
    w.bullets(
        "Continued treatment with {medication}, with regular monitoring of blood levels.",
        "A gradual increase in unescorted community leave over the next six months.",
        "Further work on relapse prevention and on the role of {substance} in relapse.",
        "Planning for supported accommodation ahead of any conditional discharge.",
    )
    title = "Independent psychiatric report" if independent else "Responsible clinician's report"
    return Written(title, author, identity(case, document), tuple(w.blocks))


def psychology(w: Writer, case: CasePlan, document: DocumentPlan, version: int) -> Written:
    """A psychologist's risk assessment for a parole review."""
    revision(w, document, version)
    w.heading("1. Purpose of the assessment")
    w.say(
        "This assessment was commissioned for the parole review of {title_name}, who is "
        "serving {sentence_type}. The tariff expired on {tariff_expiry}."
    )
    w.heading("2. Method")
    w.write("psychology", 1)
    w.heading("3. Background")
    w.write("history", 1)
    w.heading("4. Behaviour in custody")
    w.write("custody", 2)
    w.heading("5. Formulation")
    w.write("psychology", 1)
    w.write("factors", 1)
    w.heading("6. Risk of serious harm")
    w.write("risk", 2)
    w.heading("7. Opinion")
    w.write("psychology", 1)
    w.heading("8. Recommendations")
    w.bullets(
        "Continued engagement with the substance misuse service.",
        "Completion of {course2} before any move to open conditions.",
        "A period in category D conditions to test the skills learned.",
    )
    return Written(
        "Psychological risk assessment", "{psychologist}", identity(case, document), tuple(w.blocks)
    )
