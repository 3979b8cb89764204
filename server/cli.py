"""The ppud command: serve, and administration that works with or without a server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, NoReturn

import pyotp
import uvicorn

import demo
from dossier_builder import templates as dossier_templates
from dossier_builder.build import DossierWorker
from dossier_builder.errors import DossierError
from dossier_builder.request import check_request
from records import audit, audit_chain, cases, credentials, setup, tasks, users
from records.actors import LEVELS, SYSTEM
from records.errors import RecordError
from records.files import sweep_orphans
from records.indexes import ensure_indexes
from records.output_files import output_target, replacing
from records.store import Store, iso, open_store
from retention import cli as retention_cli
from retention.startup import prepare as prepare_retention
from retention.sweep import audit_keep_days
from search import maintenance
from search.errors import SearchError
from search.index import TantivyIndex
from search.isolation import Limits
from search.worker import ExtractionSettings, Worker, ensure_search_indexes
from server.config import ConfigError, Settings, load_settings
from server.embedded_db import EmbeddedDatabase, EmbeddedDatabaseError
from server.logs import configure
from server.protocol import uvicorn_options
from server.worker_process import WorkerProcess

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def database_uri(settings: Settings, *, supervise: bool = False) -> Iterator[str]:
    """The configured MongoDB, or the embedded one (started or already running).

    With supervise, an embedded database this process started is restarted
    if it dies, as the server needs; a one-off admin command does not.
    """
    if settings.mongodb_uri is not None:
        yield settings.mongodb_uri.reveal()
        return
    with EmbeddedDatabase(settings.data_dir) as embedded:
        if supervise:
            embedded.supervise()
        yield embedded.uri


def run_with_store(settings: Settings, work: Callable[[Store], Awaitable[int]]) -> int:
    with database_uri(settings) as uri:

        async def main() -> int:
            store = open_store(uri, settings.database)
            try:
                await ensure_indexes(store)
                await dossier_templates.seed(store)
                await prepare_retention(store)
                return await work(store)
            finally:
                await store.close()

        return asyncio.run(main())


# --- serve -----------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _check_address_free(host: str, port: int) -> None:
    """Fail before starting the database when the address is already taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} ({exc.strerror}); "
                "stop whatever uses it or set PPUD_HOST / PPUD_PORT"
            ) from exc


def serve(settings: Settings, _: argparse.Namespace) -> int:
    # uvicorn shuts down gracefully on SIGTERM and then re-raises the signal
    # through the handler it found; ours turns it into an ordinary exit, so the
    # embedded database below is stopped by its context manager, not orphaned.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    _check_address_free(settings.host, settings.port)
    with database_uri(settings, supervise=True) as uri:
        settings = settings.with_database_uri(uri)
        print(f"PPUD is serving on http://{settings.host}:{settings.port}", file=sys.stderr)
        announce_setup_link(settings)
        if settings.workers > 1:
            with _search_worker(settings, uri):
                return _serve_many(settings, uri)

        from server.app import create_app

        config = uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            **uvicorn_options(settings.trusted_proxies),
        )
        with _search_worker(settings, uri):
            uvicorn.Server(config).run()
    return 0


def announce_setup_link(settings: Settings) -> None:
    """With no users yet, the one-time link that creates the first administrator.

    Printed for whoever started the server, never sent through logging
    (whose lines go on to collectors): the link lets its holder create an
    administrator. Where stderr itself is collected (docker logs), its single
    use and its 30 minutes bound what a reader of those logs could do.
    """
    assert settings.mongodb_uri is not None, "serve finds or starts the database first"
    uri = settings.mongodb_uri.reveal()

    async def issue() -> setup.SetupLink | None:
        store = open_store(uri, settings.database)
        try:
            await ensure_indexes(store)
            return await setup.issue_link(store)
        finally:
            await store.close()

    link = asyncio.run(issue())
    if link is None:
        return
    logger.info("setup.link_issued", extra={"expires_at": iso(link.expires_at)})
    minutes = setup.LINK_LIFETIME // timedelta(minutes=1)
    print(
        f"No administrator can sign in yet: create one at {settings.url}/setup/{link.token} "
        f"(the link works once, for {minutes} minutes)",
        file=sys.stderr,
    )


def _serve_many(settings: Settings, uri: str) -> int:
    # Worker processes read their settings afresh; hand them the database.
    os.environ["PPUD_MONGODB_URI"] = uri
    uvicorn.run(
        "server.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        **uvicorn_options(settings.trusted_proxies),
    )
    return 0


@contextlib.contextmanager
def _search_worker(settings: Settings, uri: str) -> Iterator[None]:
    if not settings.search_worker:
        yield
        return
    with WorkerProcess(uri):
        yield


# --- users -----------------------------------------------------------------


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        # Read bytes and decode strictly: in UTF-8 mode text stdin would turn
        # undecodable bytes into lone surrogates that fail later, in hashing.
        try:
            return sys.stdin.buffer.readline().decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise SystemExit("ppud: the password on standard input is not UTF-8 text") from exc
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise SystemExit("the two passwords differ")
        return first
    print(
        "no password given: the user can only use bearer tokens until one is set "
        "with ppud users set-password",
        file=sys.stderr,
    )
    return None


def users_create(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)

    async def work(store: Store) -> int:
        created = await users.create_user(
            store,
            SYSTEM,
            args.username,
            level=args.level,
            team=args.team,
            external=args.external,
            password=password,
            organisation=args.organisation,
            with_totp=not args.enrol_on_first_sign_in,
        )
        if args.json:
            print(
                json.dumps(
                    {
                        "id": created.id,
                        "username": created.username,
                        "totp_secret": created.totp_secret,
                    }
                )
            )
            return 0
        print(f"created {created.username} ({created.id})")
        if created.totp_secret is None:
            print("the second factor is enrolled in the browser at the first sign-in")
            return 0
        uri = pyotp.TOTP(created.totp_secret).provisioning_uri(
            name=created.username, issuer_name="PPUD"
        )
        print(f"TOTP secret (shown once): {created.totp_secret}")
        print(f"authenticator link: {uri}")
        return 0

    return run_with_store(settings, work)


def users_set_password(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args)
    if password is None:
        raise SystemExit("ppud: give the password on standard input with --password-stdin")

    async def work(store: Store) -> int:
        await users.set_password(store, SYSTEM, args.username, password)
        print(f"password set for {args.username}")
        return 0

    return run_with_store(settings, work)


def users_unlock(settings: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        await credentials.unlock(store, SYSTEM, args.username)
        print(f"unlocked {args.username}")
        return 0

    return run_with_store(settings, work)


# --- tokens ----------------------------------------------------------------


def tokens_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        created = await credentials.create_token(store, SYSTEM, args.username, label=args.label)
        print(
            json.dumps({"token": created.token, "id": created.id}) if args.json else created.token
        )
        return 0

    return run_with_store(settings, work)


def tokens_list(settings: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        user = await users.find_by_username(store, args.username)
        if user is None:
            raise SystemExit(f"no user named {args.username!r}")
        for token in await credentials.list_tokens(store, str(user["_id"])):
            state = "revoked" if token["revoked"] else "active"
            print(f"{token['id']}  {state:8} {token['created_at']}  {token['label']}")
        return 0

    return run_with_store(settings, work)


def tokens_revoke(settings: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        await credentials.revoke_token(store, SYSTEM, args.token_id)
        print(f"revoked {args.token_id}")
        return 0

    return run_with_store(settings, work)


# --- maintenance -----------------------------------------------------------


def sweep(settings: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        removed = await sweep_orphans(store, grace=timedelta(minutes=args.grace_minutes))
        print(f"removed {removed} orphaned upload(s)")
        print(f"marked {await tasks.sweep(store)} task(s) overdue")
        return 0

    return run_with_store(settings, work)


# --- search ----------------------------------------------------------------


def extraction_settings(settings: Settings) -> ExtractionSettings:
    return ExtractionSettings(
        tika_url=settings.tika_url,
        limits=Limits(
            timeout_seconds=float(settings.extract_timeout_seconds),
            memory_bytes=settings.extract_memory_mib * 1024 * 1024,
        ),
        ocr=settings.ocr,
        ocr_max_pages=settings.ocr_max_pages,
    )


def _indexer(settings: Settings, store: Store, index: TantivyIndex) -> Worker:
    return Worker(
        store, index, extraction_settings(settings), settings.data_dir / "tmp" / "extract"
    )


def _open_writer(settings: Settings) -> TantivyIndex:
    try:
        return TantivyIndex(settings.search_dir, writer=True)
    except ValueError as exc:
        # Tantivy allows one writer per index; the message names the lock.
        raise ConfigError(
            f"another search worker holds the index (is `ppud serve` running?): {str(exc)[:200]}"
        ) from exc


def worker(settings: Settings, _: argparse.Namespace) -> int:
    """Extract and index until SIGTERM or Ctrl-C."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    index = _open_writer(settings)

    async def work(store: Store) -> int:
        stop = asyncio.Event()
        running = _indexer(settings, store, index)
        dossiers = DossierWorker(
            store, settings.data_dir / "tmp" / "dossiers", settings.data_dir / "cache" / "pdf"
        )
        logger.info("search.worker.started", extra={"index": str(index.folder)})
        try:
            # Either failing ends both: the process exits and serve starts another.
            await asyncio.gather(running.run(stop), dossiers.run(stop))
        finally:
            running.index.close()
        return 0

    try:
        return run_with_store(settings, work)
    except SystemExit:
        return 0


def search_reindex(settings: Settings, _: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        await ensure_search_indexes(store)
        done = await maintenance.rebuild(store, settings.search_dir)
        print(
            f"rebuilt the search index: {done.documents} document(s), "
            f"{done.versions} version(s), now live in {done.folder.name}"
        )
        return 0

    return run_with_store(settings, work)


def search_check(settings: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        await ensure_search_indexes(store)
        index = TantivyIndex(settings.search_dir, writer=False)
        report = await maintenance.check(store, index)
        for name in ("missing", "stale", "orphaned"):
            entries = getattr(report, name)
            print(f"{name}: {len(entries)}")
            for document_id, version in entries[:20]:
                print(f"  document {document_id} version {version}")
        print(f"waiting for the worker: {report.waiting} document(s)")
        if report.unreadable:
            print(f"set aside, the index could not take them: {len(report.unreadable)}")
            for document_id in report.unreadable[:20]:
                print(f"  document {document_id}")
        if report.clean or not args.repair:
            return 0 if report.clean else 1
        queued = await maintenance.repair(store, report)
        print(f"queued {queued} document(s) for the worker to re-index or remove")
        return await _apply_now(settings, store)

    return run_with_store(settings, work)


async def _apply_now(settings: Settings, store: Store) -> int:
    """With no worker running, do the queued work here; otherwise leave it to the worker."""
    try:
        index = TantivyIndex(settings.search_dir, writer=True)
    except ValueError:
        print("the running search worker will apply them")
        return 0
    running = _indexer(settings, store, index)
    try:
        while await running.run_once():
            pass
    finally:
        running.index.close()
    print("repaired")
    return 0


# --- audit -----------------------------------------------------------------


def audit_verify(settings: Settings, _: argparse.Namespace) -> int:
    """Walk the audit chain; exit 1 naming the first event that breaks it."""

    async def work(store: Store) -> int:
        checked = await audit_chain.verify(store, audit.COLLECTION)
        if checked.broken is not None:
            where = f"event {checked.broken.seq}" if checked.broken.seq else "an event"
            print(
                f"ppud: the audit trail is broken: {where} (id {checked.broken.event_id}) "
                f"{checked.broken.what}",
                file=sys.stderr,
            )
            return 1
        if checked.events == 0:
            print("the audit trail is empty")
            return 0
        since = (
            f" (events before {checked.expired_before} expired)" if checked.expired_before else ""
        )
        print(
            f"the audit trail is whole: {checked.events} events, "
            f"{checked.first_seq} to {checked.last_seq}{since}; "
            f"the last event's SHA-256 is {checked.last_hash}"
        )
        return 0

    return run_with_store(settings, work)


def audit_expire(settings: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        # The audit rule of the retention schedule, as the sweep uses, unless told otherwise.
        keep = args.keep_days or await audit_keep_days(store, default=settings.audit_keep_days)
        removed = await audit.expire(store, keep_days=keep)
        print(f"removed {removed} audit event(s) older than {keep} days")
        return 0

    return run_with_store(settings, work)


def _keep_days(raw: str) -> int:
    value = _positive(raw)
    if value < audit.MIN_KEEP_DAYS:
        raise argparse.ArgumentTypeError(
            f"audit events are kept at least {audit.MIN_KEEP_DAYS} days, not {value}"
        )
    return value


# --- dossiers --------------------------------------------------------------


def dossier_build(settings: Settings, args: argparse.Namespace) -> int:
    """Build a case's dossier from a template into a file, as the worker would, unfiled."""
    out = output_target(args.out, what="PDF file")
    options: dict[str, Any] = {"missing": "placeholder" if args.placeholders else "refuse"}
    if args.marking:
        options["marking"] = args.marking
    body: dict[str, Any] = {"template": args.template, "options": options}
    if args.title:
        body["title"] = args.title

    async def work(store: Store) -> int:
        case = await cases.get_case(store, SYSTEM, args.case)
        payload = await check_request(store, SYSTEM, case, body)
        builder = DossierWorker(
            store, settings.data_dir / "tmp" / "dossiers", settings.data_dir / "cache" / "pdf"
        )

        async def report(progress: float, message: str) -> None:
            print(f"{progress:4.0%}  {message}", file=sys.stderr)

        # Made beside the target and moved into place: never a half-written file at out.
        with replacing(out) as made:
            # A folder of their own: the sources' names (0.pdf, ...) may be the target's.
            sources = made.parent / "sources"
            sources.mkdir()
            built = await builder.write(payload, case, sources, made, report=report)
        written = "standard output" if out is None else str(out)
        await audit.record(
            store,
            SYSTEM,
            "dossier.export",
            f"case:{case['_id']}",
            case_id=case["_id"],
            detail={"template": args.template, "pages": built.pages, "file": written},
        )
        # Beside the PDF on standard output, the summary would spoil it.
        summary = sys.stderr if out is None else sys.stdout
        print(f"wrote {written}: {built.pages} pages, {built.printed_pages} numbered", file=summary)
        return 0

    return run_with_store(settings, work)


# --- demo ------------------------------------------------------------------


def demo_load(settings: Settings, args: argparse.Namespace) -> int:
    """File the demo casework for a seed; what is already there is left as it is."""

    def progress(done: int, total: int) -> None:
        step = max(100, total // 20)
        if done % step == 0 or (done == total and total >= step):
            print(f"{done} of {total} offenders", file=sys.stderr)

    async def work(store: Store) -> int:
        if args.if_empty and await demo.holds_casework(store):
            print(
                "the database already holds casework, so the demo set was not loaded "
                "(`ppud demo load` without --if-empty adds it beside what is there)"
            )
            return 0
        loader = demo.Loader(
            store,
            seed=args.seed,
            scratch=settings.data_dir / "tmp" / "demo-dossiers",
            cache=settings.data_dir / "cache" / "pdf",
            progress=progress,
        )
        loaded = await loader.load(args.offenders, documents_for=args.documents_for)
        for line in demo.describe(loaded):
            print(line)
        return 0

    return run_with_store(settings, work)


def _offenders(raw: str) -> int:
    return _between(raw, 1, demo.MAX_OFFENDERS)


def _documents_for(raw: str) -> int:
    return _between(raw, 0, demo.MAX_OFFENDERS)


def _seed(raw: str) -> int:
    return _between(raw, 0, demo.MAX_SEED)


def _between(raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        # Echo no more than a line's worth of whatever was typed.
        raise argparse.ArgumentTypeError(f"must be a whole number, not {raw[:40]!r}") from exc
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must lie between {low} and {high}, not {value}")
    return value


class _OneLineErrors(argparse.ArgumentParser):
    """Refuses a bad argument in one line, without the usage block, with exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {raw!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ppud", description="PPUD records and dossier server")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the web server").set_defaults(run=serve)

    user_commands = commands.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True
    )
    create = user_commands.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--level", required=True, choices=LEVELS)
    create.add_argument("--team", required=True)
    create.add_argument("--external", action="store_true", help="an external (WAM) user")
    create.add_argument("--organisation", help="an external user's organisation")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    create.add_argument(
        "--enrol-on-first-sign-in",
        action="store_true",
        help="no TOTP secret now: the user enrols one in the browser at their first sign-in",
    )
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=users_create)
    password = user_commands.add_parser("set-password", help="set or replace a user's password")
    password.add_argument("username")
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    password.set_defaults(run=users_set_password)
    unlock = user_commands.add_parser("unlock", help="lift a sign-in lock-out")
    unlock.add_argument("username")
    unlock.set_defaults(run=users_unlock)

    token_commands = commands.add_parser("tokens", help="manage bearer tokens").add_subparsers(
        dest="action", required=True
    )
    new = token_commands.add_parser("create", help="print a new bearer token for a user")
    new.add_argument("username")
    new.add_argument("--label", default="")
    new.add_argument("--json", action="store_true")
    new.set_defaults(run=tokens_create)
    listing = token_commands.add_parser("list", help="list a user's tokens")
    listing.add_argument("username")
    listing.set_defaults(run=tokens_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id")
    revoke.set_defaults(run=tokens_revoke)

    swept = commands.add_parser("sweep", help="remove abandoned uploads; mark overdue tasks")
    # At least a minute: a grace of zero would remove uploads still streaming in.
    swept.add_argument("--grace-minutes", type=_positive, default=60)
    swept.set_defaults(run=sweep)

    commands.add_parser(
        "worker", help="extract text and keep the search index (serve runs one)"
    ).set_defaults(run=worker)
    search_commands = commands.add_parser("search", help="the search index").add_subparsers(
        dest="action", required=True
    )
    search_commands.add_parser(
        "reindex", help="rebuild the index from stored text and swap it in"
    ).set_defaults(run=search_reindex)
    checking = search_commands.add_parser("check", help="compare the index with the database")
    checking.add_argument("--repair", action="store_true", help="fix what the check finds")
    checking.set_defaults(run=search_check)
    audit_commands = commands.add_parser("audit", help="the audit trail").add_subparsers(
        dest="action", required=True
    )
    audit_commands.add_parser(
        "verify", help="check the audit chain; exit 1 naming the first broken event"
    ).set_defaults(run=audit_verify)
    expiring = audit_commands.add_parser(
        "expire", help="remove events past the retention period (the server does this too)"
    )
    expiring.add_argument(
        "--keep-days", type=_keep_days, help="default: the audit rule, or PPUD_AUDIT_KEEP_DAYS"
    )
    expiring.set_defaults(run=audit_expire)

    dossier_commands = commands.add_parser("dossier", help="dossiers").add_subparsers(
        dest="action", required=True
    )
    building = dossier_commands.add_parser(
        "build", help="build a case's dossier from a template into a PDF file (not filed)"
    )
    building.add_argument("case", help="the case's id")
    building.add_argument("--template", required=True, help="a dossier template, as in recall")
    building.add_argument(
        "--out", required=True, help="the PDF file to write, replaced whole (-: standard output)"
    )
    building.add_argument("--title", help="the dossier's title (default: the template's)")
    building.add_argument("--marking", help="the protective marking printed on every page")
    building.add_argument(
        "--placeholders",
        action="store_true",
        help='print "document awaited" pages for missing mandatory documents instead of refusing',
    )
    building.set_defaults(run=dossier_build)

    demo_commands = commands.add_parser("demo", help="demo casework").add_subparsers(
        dest="action", required=True, parser_class=_OneLineErrors
    )
    loading = demo_commands.add_parser(
        "load", help="file the fictional demo casework (again: only what is missing)"
    )
    loading.add_argument(
        "--offenders",
        type=_offenders,
        default=demo.DEFAULT_OFFENDERS,
        help=f"how many offenders, with their cases and files (default {demo.DEFAULT_OFFENDERS})",
    )
    loading.add_argument(
        "--documents-for",
        type=_documents_for,
        metavar="N",
        help="file documents for the first N offenders only (default: all); "
        "the others get their record and cases",
    )
    loading.add_argument(
        "--seed",
        type=_seed,
        default=demo.DEFAULT_SEED,
        help=f"the same seed gives the same records and files (default {demo.DEFAULT_SEED})",
    )
    loading.add_argument(
        "--if-empty",
        action="store_true",
        help="load only into a database with no offenders, cases or documents yet "
        "(make run DEMO=1)",
    )
    loading.set_defaults(run=demo_load)
    retention_cli.register(commands, run_with_store)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        configure(settings.log_level, settings.log_format)
        if args.command not in ("serve", "worker"):
            logging.getLogger().setLevel(logging.WARNING)
        result: Any = args.run(settings, args)
        return int(result)
    except (ConfigError, EmbeddedDatabaseError) as exc:
        print(f"ppud: {exc}", file=sys.stderr)
        return 2
    except (RecordError, SearchError, DossierError, demo.DemoError) as exc:
        print(f"ppud: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
