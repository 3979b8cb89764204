"""The online help each screen starts with, in Markdown, written for caseworkers.

Administrators rewrite these at /help/{key}/edit; what is here is inserted
only into a database that has no page for the key yet.
"""

from __future__ import annotations

# key: (title, Markdown)
DEFAULT_PAGES: dict[str, tuple[str, str]] = {
    "home": (
        "Your home page",
        """\
Your home page shows the work in front of you.

- **Open cases** lists your team's open cases, newest first. Select a case's
  title to open it.
- **Documents you have checked out** lists the documents you hold. Check each
  one back in (with a new version, or without) when you have finished, so that
  colleagues can change it.
- **Your recent activity** lists what you did last, so you can pick up where
  you left off.

Use **Find an offender** to reach an offender and their cases, and **Search**
to look through the text of every document you may see.
""",
    ),
    "offenders": (
        "Finding an offender",
        """\
Type a name or an identifier and select **Search**.

- A family name or alias finds everyone whose name starts with what you typed.
- A NOMS number (as `A1234AA`), PNC ID, CRO number, prison number or probation
  case reference (CRN) must be typed in full: it finds an exact match.
- Add a date of birth to narrow a common name.

Select a name to see the offender's identifiers, aliases and cases. You only
see cases your team owns or that have been shared with your team.

If your team has a case about them, their page has a form to change their
details: record a date of death, or a sentence or licence expiry date, there.
Retention periods start from these dates, so a date left empty starts none.
""",
    ),
    "case": (
        "The case page",
        """\
The case page shows one piece of casework: its type, team, state and the
offender it is about.

- **Documents** are shown in their folders. Each shows its type, date, current
  version, who has it checked out and its protective marking.
- **Upload documents** files up to five documents at once.
- **Build a dossier** compiles the case's documents into one paginated PDF
  for a parole panel.
- **Audit** shows who did what to the case, and when.
- **Tasks and deadlines** lists what is due next. The workflow sets most of
  them as the case moves; overdue ones are marked.
- The **workflow** buttons move the case on (for example from "assessing" to
  "revoked"). Some ask for a reason or a date. If one cannot be taken yet,
  it says what is missing, such as a document type not filed.
- **Notes** are the case's minutes. A note is never changed: correct it with
  a new note, which points to the one it corrects.
- **Contacts** and **Correspondence** record who is involved in the case and
  what was sent or received, and when.

If a document you expect is missing, it may be limited to named people, or
filed in another case.
""",
    ),
    "upload": (
        "Uploading documents",
        """\
You can file up to five documents in one go.

1. Choose the file.
2. Give it a title that says what it is, such as *Part A recall report,
   March 2026*.
3. Select its **document type**. Only types in use are offered.
4. Enter the date on the document (not today's date, unless it was written
   today).
5. Choose the protective marking. Use **OFFICIAL-SENSITIVE** for anything
   about risk, health or victims, and add a handling instruction if it needs one.

Select **Upload** and wait for each file to finish. PDF, Word, e-mail and
scanned images are all accepted; the file's contents decide its type, not
its name.
""",
    ),
    "document": (
        "The document page",
        """\
A document keeps every version ever filed; nothing is overwritten.

- **Check out** the document before you revise it. While you hold it, only
  you can add a version. Check it in with the new version and a short comment
  on what changed.
- **Versions** lists each version with who filed it and when. Any version can
  be downloaded exactly as it was stored.
- **Change the details** corrects the title, type, date or marking. If someone
  else saved a change first, you are told, and what you typed is kept.
- **Limit who may see it** restricts an OFFICIAL-SENSITIVE document to named
  people or teams.

Every view and download is recorded in the audit trail.
""",
    ),
    "search": (
        "Searching documents",
        """\
Search looks through the text of every document version you may see.

- Type words to find documents holding all of them: `licence breach`.
- Put a phrase in double quotes: `"failure to reside"`.
- Use `OR` and `NOT`: `hostel OR approved NOT premises`.
- End a word with `*` to match its beginnings: `reside*`.

Narrow the results with the case, the document type and a date range. If a
query cannot be understood, the page says where the problem is.
""",
    ),
    "dossier": (
        "Building a dossier",
        """\
A dossier is one PDF of the case's documents, with a cover, an index and
page numbers on every page.

1. Pick a template (those that suit the case type come first) or start empty.
2. Check the sections: add, remove or move documents with **Up** and
   **Down**, and rename or add sections.
3. Choose the options: the protective marking printed on every page, and
   whether missing documents get a "document awaited" page.
4. Select **Build the dossier**. The build runs in the background; its page
   shows progress, then a link to the PDF.

Each dossier built is kept with a list of exactly which versions went in.
""",
    ),
    "audit": (
        "The audit trail",
        """\
The audit trail lists who did what, and when, newest first, in UK time.

It includes every view and download, not only changes. Managers see their
team's events; everyone else sees their own. Events can never be changed or
removed before the retention period ends.
""",
    ),
    "users": (
        "Managing users",
        """\
Managers manage the users of their own team; administrators manage everyone.

- **Add a user** with a username, level and team. They set up their
  authenticator app when they first sign in.
- Open a user to change their level or team, disable them, or lift a sign-in
  lock-out.
- You cannot give anyone a level above your own, nor change your own account.

Each change asks for the code from your authenticator app again.
""",
    ),
    "tasks": (
        "Tasks",
        """Tasks are the deadlines of the cases you can see, soonest first.

- Most are set by a case's workflow: a recall's assessment is due 24 hours
  after it is received, its dossier the next working day after the return
  to custody. Working days skip weekends and bank holidays.
- A task is met or missed when the case reaches the state that ends it.
- Choose **Overdue** or **Due within a week** to narrow the list; managers
  can choose a team.
- **Download these tasks as CSV** gives the same list for a spreadsheet.
""",
    ),
    "workflows": (
        "Workflows",
        """Each case type moves through the states of its workflow.

- **Download YAML** of a version, change it (states, transitions, who may
  take them, deadlines), and paste it under **Import a new version**. New
  cases start on the newest version.
- Running cases keep their version until you **move** them onto the newest.
  Cases in a state the newest version no longer has stay where they are.
- **Bank holidays** are the days deadlines in working days skip. Replace a
  year's list when a new holiday is proclaimed.
""",
    ),
    "imports": (
        "Importing from CSV",
        """Add many offenders or cases at once from a spreadsheet.

1. Save the spreadsheet as **CSV UTF-8**. The first line names the columns.
2. Choose what the file holds and select **Check the file**. Nothing is
   imported yet: every row's outcome is shown.
3. If any row is refused, fix it in the spreadsheet and check the file
   again. Nothing is imported while any row has a problem.
4. When every row is ready, select **Import**. All the rows go in together.
""",
    ),
    "reports": (
        "Reports",
        """Each report covers the cases you can see, as they stand now, and downloads
as CSV.

- **Cases by state and team**: how much work is at each stage.
- **Deadlines met and missed per month**, by the month each was due.
- **Open cases**: every open case with its offender.
- **Documents awaited**: document types each open case's dossier still needs.
""",
    ),
    "contacts": (
        "Contacts",
        """The contacts directory holds the people and organisations casework deals
with: offender managers, solicitors, prisons, hospitals and police forces.

- Search by the start of a name or organisation.
- Add a contact once, then link them to each case they are involved in,
  with their role, from the case page.
""",
    ),
    "lists": (
        "Lists of values",
        """\
Lists of values are the choices offered in forms: case types, document types,
establishments, police forces, probation regions, MAPPA levels and categories,
recall types and legal-hold reasons.

- Each value has a **code** that never changes, a **label** people see, and
  an **order** (lower numbers come first).
- **Retire** a value that should no longer be chosen. Records that already
  hold it keep it. **Restore** brings it back.
- **Delete** is offered only for a value no record holds.
- **Export** the list as CSV, change it in a spreadsheet, and **import** it
  again. Check the file first: a file with any bad row imports nothing, and
  each row's problem is listed. Save from a spreadsheet as "CSV UTF-8".
""",
    ),
}
