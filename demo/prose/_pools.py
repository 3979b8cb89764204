"""Sentences the demo's documents are written from, by topic, with the case's facts as fields.

Each paragraph takes a few sentences of one topic, in the order written
here, so a paragraph reads in sequence while no two documents read alike.
Pools shared by every case type name only the facts every case has (see
demo.world.case_facts); the others only those of their case type.
"""

from __future__ import annotations

POOLS: dict[str, tuple[str, ...]] = {
    "offence": (
        "On {offence_date} {title_name} committed the offence of {offence}.",
        "The victim of {offence_short} was {victim}, who was left frightened and in need of "
        "medical treatment.",
        "{He} had been drinking for most of the afternoon and had taken {substance} shortly "
        "before the incident.",
        "Witnesses described {him} as agitated and unwilling to listen to those who tried to "
        "calm the situation.",
        "{He} left the scene before the police arrived and was arrested at a relative's address "
        "two days later.",
        "In interview {he} initially denied involvement, but later accepted that {he} had been "
        "present and had acted as the prosecution alleged.",
        "{He} pleaded guilty at the first reasonable opportunity and was sentenced at {court} "
        "on {sentence_date}.",
        "The sentencing judge noted the planning involved and the lasting effect of "
        "{offence_short} on the victim.",
        "The pre-sentence report described the offence as the culmination of a period of "
        "escalating instability in {his} life.",
        "{He} has since said that {he} was in debt to people who supplied {him} with "
        "{substance} and felt under pressure at the time.",
        "The court found that {he} posed a significant risk of serious harm to members of the "
        "public.",
        "There is no suggestion in the papers that anyone else directed {him} to commit the "
        "offence.",
    ),
    "history": (
        "{title_name} has a long record of offending that began in {his} mid-teens.",
        "{His} early convictions were for theft, criminal damage and minor assaults, mostly "
        "committed with peers.",
        "Offending became more serious in {his} early twenties, when {he} began using "
        "{substance} daily.",
        "{He} has previously received community orders and short custodial sentences, and "
        "compliance with community supervision has been poor.",
        "There are two earlier convictions for possession of an offensive weapon.",
        "Violence has usually occurred when {he} was intoxicated and felt disrespected or "
        "threatened.",
        "{He} has breached court orders before, most often by failing to attend appointments.",
        "There were periods of up to eighteen months without further convictions, when {he} "
        "was in work and in a stable relationship.",
        "The police national computer records several warning markers, including for "
        "violence and weapons.",
        "{His} offending shows a pattern of impulsive behaviour rather than planned, "
        "instrumental violence.",
        "No convictions are recorded for sexual offences or for offences against children.",
    ),
    "custody": (
        "In custody at {prison}, {title_name} has been largely compliant with the regime.",
        "{He} completed {course} and the facilitators' report describes active and thoughtful "
        "participation.",
        "{He} has held a trusted position as a wing cleaner and, more recently, as a peer mentor.",
        "There were two adjudications early in the sentence, one for possession of an "
        "unauthorised mobile phone and one for refusing an order.",
        "Mandatory drug tests have been negative for the past two years.",
        "{He} has engaged with the substance misuse service and attends a weekly recovery group.",
        "{His} prison offender manager, {pom}, reports that {he} is polite to staff and has "
        "not been involved in violence on the wing.",
        "{He} has been assessed as suitable for {course2}, for which {he} is on the waiting list.",
        "Security intelligence has been limited and relates mainly to debts in the earlier "
        "part of the sentence.",
        "{He} has maintained contact with family members through visits and telephone calls.",
        "{He} has worked in the prison kitchens and gained a level 2 food hygiene certificate.",
        "{His} incentives level is enhanced, which reflects consistent good behaviour.",
    ),
    "risk": (
        "{title_name} is assessed as presenting a {risk} risk of serious harm to the public in "
        "the community.",
        "The risk is greatest towards people with whom {he} comes into conflict, particularly "
        "when {he} has been using {substance}.",
        "The harm most likely to occur is serious physical injury caused by an impulsive assault.",
        "Risk would increase rapidly if {he} lost stable accommodation or returned to {his} "
        "former associates.",
        "Warning signs include missed appointments, evasiveness about {his} whereabouts and "
        "renewed contact with known users of {substance}.",
        "The risk of serious harm is considered imminent only if several of these factors "
        "arise together.",
        "Actuarial measures place {him} in the medium band for proven reoffending within two "
        "years.",
        "{His} own account of the risk has become more open, though {he} still minimises the "
        "part played by {his} temper.",
        "There is no current information to suggest a specific threat towards a named individual.",
        "Risk to staff is assessed as low, and {he} has worked appropriately with professionals.",
        "Risk to children is assessed as low; {he} has no convictions involving children.",
        "The assessment has been discussed with the senior probation officer, {spo}, who "
        "agrees with the levels given.",
    ),
    "factors": (
        "The main factors linked to {his} offending are substance misuse, unstable "
        "accommodation and associates who are themselves involved in crime.",
        "{His} use of {substance} has been the single most consistent feature of periods of "
        "reoffending.",
        "{He} has found it difficult to manage feelings of anger and humiliation without "
        "resorting to aggression.",
        "{His} thinking skills have improved, and {he} can describe the consequences of "
        "{his} actions more clearly than at sentence.",
        "Financial pressure and debt have contributed to offending in the past.",
        "{He} has limited experience of legitimate employment and few formal qualifications.",
        "Relationships have often been volatile, and there is a history of arguments that "
        "police have attended.",
        "{He} has tended to spend time with peers who offend when {he} has nothing structured "
        "to do.",
        "Mental health has been stable, although {he} reports low mood at times of stress.",
        "{He} has described boredom and isolation as triggers for relapse.",
    ),
    "protective": (
        "{title_name} has the support of {his} mother and a sister, who have remained in "
        "contact throughout the sentence.",
        "{He} has expressed a wish to be a consistent presence in the life of {his} child.",
        "{He} has secured a place on a construction skills course that begins on release.",
        "{His} engagement with the recovery service is a real strength and should continue in "
        "the community.",
        "{He} has shown that {he} can comply with rules when the expectations are clear and "
        "consistently applied.",
        "{He} has been abstinent from {substance} for a sustained period.",
        "{He} is motivated to avoid a further return to custody and speaks about this with "
        "evident sincerity.",
        "{He} has begun to recognise early warning signs and to ask for help before problems "
        "escalate.",
        "A place at {hostel} would give structure and oversight in the first months after release.",
    ),
    "plan": (
        "{title_name} will be supervised by {pp} of {pdu}.",
        "{He} will reside at {hostel} and observe the curfew set by the hostel.",
        "Supervision appointments will be weekly for the first three months and reviewed "
        "after that.",
        "{He} will be referred to the community substance misuse service, with drug testing "
        "as a licence condition.",
        "An exclusion zone will keep {him} away from the area where the offence took place.",
        "{He} will not contact the victim, directly or indirectly.",
        "The case will be managed at MAPPA level 2, with multi-agency meetings every eight weeks.",
        "Police will be asked to share any intelligence about renewed contact with {his} "
        "former associates.",
        "Any deterioration in compliance will be discussed with the senior probation officer "
        "the same day.",
        "A referral will be made for help with education, training and employment.",
        "Home visits will be unannounced as well as planned.",
        "Contingency plans include an increase in reporting, a further risk assessment and, "
        "if needed, recall to custody.",
    ),
    "victim": (
        "The victim is engaged with the Victim Contact Scheme and has asked to be told of any "
        "release.",
        "The victim liaison officer has passed on the victim's request for an exclusion zone.",
        "The victim has said that they still feel anxious when in the town centre.",
        "No victim personal statement has been received for this review.",
        "{title_name} has written a letter of apology, held by the victim liaison unit, which "
        "the victim has chosen not to receive.",
        "The proposed licence conditions reflect the concerns the victim has raised.",
        "The victim will be told of the outcome through the victim liaison officer.",
        "There is no indication that {title_name} knows where the victim now lives.",
    ),
    "licence_compliance": (
        "{title_name} was released on licence on {release_date} to {hostel}.",
        "Early compliance was good: {he} attended every appointment in the first six weeks and "
        "drug tests were negative.",
        "{He} began a construction course and spoke positively about the future.",
        "From the third month {his} attendance became erratic and {he} gave inconsistent "
        "explanations.",
        "Hostel staff reported that {he} had returned late on several nights and appeared "
        "intoxicated.",
        "{He} was given a first warning letter for missed appointments, which {he} signed.",
        "A final warning followed after {he} failed to attend a drug test.",
        "{He} told {his} probation practitioner that {he} was under pressure from former "
        "associates.",
        "The licence expiry date is {sled}.",
        "Attempts were made to re-engage {him}, including a joint visit with the police.",
        "The risk management plan was reviewed, but {his} compliance did not improve.",
    ),
    "breach": (
        "{title_name} has been recalled for {reason1} and {reason2}.",
        "On the morning before the recall, {he} did not return to the hostel and {his} phone "
        "was switched off.",
        "Police intelligence received that week linked {him} to an address known for the "
        "supply of {substance}.",
        "The probation practitioner, {pp}, concluded that the risk could no longer be managed "
        "in the community.",
        "The decision to request recall was endorsed by the senior probation officer, {spo}, "
        "on {recall_date}.",
        "{He} was returned to custody on {custody_date} and is held at {prison}.",
        "The behaviour shows a return to the pattern that preceded the index offence.",
        "Alternatives to recall, including an increase in reporting and a further warning, "
        "were considered and rejected.",
        "{He} has been told of the reasons for recall and of {his} right to make representations.",
        "This is a {recall_type} recall.",
        "The risk of serious harm has increased and is now considered imminent.",
    ),
    "hospital": (
        "{title_name} was admitted to {hospital} on {admitted} under {section} of the Mental "
        "Health Act 1983.",
        "{His} diagnosis is {diagnosis}.",
        "On admission {he} was guarded, suspicious of staff and preoccupied with the belief "
        "that {he} was being followed.",
        "{His} mental state has improved steadily since {he} began treatment with {medication}.",
        "{He} now accepts that {he} has a mental illness and that medication helps {him}.",
        "{He} attends the ward's therapeutic programme, including an anger management group "
        "and occupational therapy.",
        "There have been no incidents of violence on the ward for more than two years.",
        "{He} has used escorted ground leave without incident and returned on time on every "
        "occasion.",
        "Urine screens for illicit substances have been negative.",
        "{He} has a good relationship with {his} named nurse and speaks openly about {his} "
        "symptoms.",
        "{His} insight is partial: {he} accepts the diagnosis but is uncertain whether {he} "
        "would continue medication in the community.",
        "The multidisciplinary team supports a gradual increase in leave.",
    ),
    "clinical_risk": (
        "The HCR-20 assessment identifies lack of insight, substance misuse and stress as the "
        "main risk factors.",
        "The risk of violence would rise sharply if {he} stopped taking {medication}.",
        "Relapse has in the past been preceded by poor sleep, social withdrawal and missed "
        "appointments.",
        "When unwell, {he} has acted on persecutory beliefs about people close to {him}.",
        "While {he} remains in hospital and adherent to treatment, the risk is considered low.",
        "Use of {substance} has been associated with each previous relapse.",
        "The clinical team considers that the risk can be managed by a graduated programme of "
        "leave.",
        "A relapse prevention plan has been agreed with {him} and shared with the community team.",
        "{He} would need supported accommodation with staff on site at first.",
        "The social supervisor, {social_supervisor}, has begun planning for aftercare under "
        "section 117.",
    ),
    "psychology": (
        "The assessment draws on eight interviews with {title_name}, a review of the dossier "
        "and discussions with wing staff.",
        "Structured professional judgement was used, guided by the HCR-20 version 3.",
        "{He} presented as open and cooperative, though {he} became defensive when discussing "
        "the index offence.",
        "There is no evidence of a psychopathic personality; {his} scores on the relevant "
        "measure were low.",
        "Treatment need remains in the areas of emotional regulation and substance misuse.",
        "{He} has internalised some of the skills taught on {course}, and could give examples "
        "of using them.",
        "The formulation links {his} violence to shame, intoxication and a learned belief that "
        "aggression restores respect.",
        "{He} would benefit from a progressive move to open conditions before release.",
        "In my opinion the risk of serious harm could be managed in the community with the "
        "proposed plan.",
        "This opinion rests on continued abstinence and engagement with supervision.",
        "{He} has not yet been tested in less secure conditions, which limits the evidence of "
        "change.",
    ),
    "argument": (
        "We act for {title_name} and make these representations on {his} behalf.",
        "It is submitted that the risk {he} now presents can be safely managed in the community.",
        "The reports before the panel describe real and sustained progress.",
        "{He} has completed every intervention that the sentence plan asked of {him}.",
        "The professional witnesses agree that the remaining treatment needs can be met in "
        "the community.",
        "Continued detention is no longer necessary for the protection of the public.",
        "The proposed risk management plan is robust and has been agreed by all the agencies "
        "involved.",
        "The panel is invited to give weight to {his} conduct over the last two years, which "
        "has been exemplary.",
        "Any remaining concerns can be addressed by additional licence conditions.",
        "We ask that {he} be allowed to give evidence at an oral hearing.",
        "In the alternative, we ask the panel to recommend a move to open conditions.",
        "We reserve the right to make further submissions once the outstanding reports are "
        "received.",
    ),
    "arrest": (
        "Officers attended an address in {town} after a report of a disturbance.",
        "{title_name} was found nearby and was arrested at the scene.",
        "{He} was conveyed to {station}, where {his} detention was authorised.",
        "A search on arrest was conducted and the items found were seized and exhibited.",
        "The complainant provided a statement describing the incident in detail.",
        "Body-worn video footage of the arrest has been retained.",
        "In interview, with a solicitor present, {he} made no comment to all questions.",
        "A check of the police national computer showed that {he} was on licence.",
        "The Crown Prosecution Service authorised the charge under the full code test.",
        "{He} was refused bail and will appear before {town} Magistrates' Court.",
        "The probation service was informed of the arrest the same day.",
    ),
    "directions": (
        "The panel chair has issued directions for the hearing.",
        "An updated report from the probation practitioner is required 28 days before the hearing.",
        "The prison offender manager should provide an addendum on progress in custody.",
        "The hearing will take place by video link from {prison}.",
        "The time estimate is half a day.",
        "The victim has been told of the hearing date through the victim liaison officer.",
        "Any written representations should be submitted 14 days before the hearing.",
        "If any witness is unavailable, please tell us within seven days.",
        "The Secretary of State's view, if any, should be submitted by the same date.",
    ),
    "reasons": (
        "The panel considered the dossier of documents and the evidence given at the hearing.",
        "The panel heard evidence from the probation practitioner, the prison offender "
        "manager and the psychologist.",
        "The panel was satisfied that {title_name} had completed the core risk reduction work.",
        "The panel noted the absence of violence in custody for a sustained period.",
        "The panel was concerned that {his} commitment to abstinence had not been tested in "
        "the community.",
        "The panel weighed the professional recommendations, which were not unanimous.",
        "The panel took account of the victim's concerns and the proposed exclusion zone.",
        "Having considered all the evidence, the panel applied the statutory test for release.",
        "The panel found that the proposed plan was not yet robust enough to manage the risk.",
        "The decision was taken by all members of the panel.",
        "This decision is eligible for reconsideration under rule 28 of the Parole Board "
        "Rules 2019.",
    ),
}
