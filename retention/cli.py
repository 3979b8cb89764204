"""`ppud retention ...`: evaluation, the dry run, runs, rules files, the records manager's right."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from records.actors import SYSTEM
from records.output_files import output_target, write_whole
from records.store import Store
from records.validation import FIRST_DATE, LAST_DATE
from retention import evaluate, holds, report, roles, rule_store, rules, rules_csv, runs

RunWithStore = Callable[[Any, Callable[[Store], Awaitable[int]]], int]


def _day(raw: str) -> date:
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be a date written YYYY-MM-DD, not {raw!r}") from exc
    if not FIRST_DATE <= day <= LAST_DATE:
        # The same years the API accepts.
        raise argparse.ArgumentTypeError(
            f"must be a date from {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}, not {raw!r}"
        )
    return day


def register(commands: Any, run_with_store: RunWithStore) -> None:
    """Add the retention commands to the ppud command's sub-parsers."""
    group = commands.add_parser(
        "retention", help="retention schedules and disposal"
    ).add_subparsers(dest="action", required=True)

    def command(
        name: str, text: str, body: Callable[[Any, argparse.Namespace, Store], Awaitable[int]]
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = group.add_parser(name, help=text)

        def run(settings: Any, args: argparse.Namespace) -> int:
            return run_with_store(settings, lambda store: body(settings, args, store))

        parser.set_defaults(run=run)
        return parser

    command(
        "evaluate",
        "compute every case's dispositions now (the server does it with its sweep)",
        _evaluate,
    )
    reporting = command(
        "report",
        "print as CSV what would be due, held or destroyed on a date; changes nothing",
        _report,
    )
    reporting.add_argument("--as-of", type=_day, required=True, help="the date, YYYY-MM-DD")
    command("dispose", "carry out approved disposal runs left unfinished", _dispose)
    exporting = command("export-rules", "print the retention rules as CSV", _export)
    exporting.add_argument(
        "--out", help="write to this file, replaced whole (default, or -: standard output)"
    )
    importing = command("import-rules", "create or change retention rules from a CSV file", _import)
    importing.add_argument("file")
    for name, granted in (("grant", True), ("revoke", False)):
        role = command(name, f"{name} the records manager's right", _role(granted))
        role.add_argument("username")


async def _evaluate(settings: Any, args: argparse.Namespace, store: Store) -> int:
    marked = await holds.mark_covered(store)
    done = await evaluate.evaluate(store)
    if marked:
        print(f"marked {marked} document(s) filed under a legal hold since it was applied")
    print(
        f"evaluated {done.cases} case(s) against {done.rules} rule(s): "
        f"{done.changed} changed, {done.removed} removed"
    )
    return 0


async def _report(settings: Any, args: argparse.Namespace, store: Store) -> int:
    count = await report.report_csv(store, args.as_of, sys.stdout)  # type: ignore[arg-type]
    print(f"{count} record(s) due on {args.as_of.isoformat()}", file=sys.stderr)
    return 0


async def _dispose(settings: Any, args: argparse.Namespace, store: Store) -> int:
    done = await runs.resume(store, Path(settings.data_dir))
    print(f"carried out {done} run(s)")
    return 0


async def _export(settings: Any, args: argparse.Namespace, store: Store) -> int:
    # As `ppud dossier build --out` does: "-" for standard output, a file replaced whole.
    out = output_target(args.out, what="CSV file") if args.out is not None else None
    text = rules_csv.export_csv(rules.precedence(await rule_store.all_rules(store)))
    if out is None:
        sys.stdout.write(text)
        return 0

    await asyncio.to_thread(write_whole, out, text.encode("utf-8"))
    return 0


async def _import(settings: Any, args: argparse.Namespace, store: Store) -> int:
    try:
        raw = await asyncio.to_thread(Path(args.file).read_bytes)
    except OSError as exc:
        raise SystemExit(f"ppud: cannot read {args.file!r}: {exc.strerror}") from exc
    counts = await rules_csv.import_rules(store, SYSTEM, raw)
    print(", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


def _role(granted: bool) -> Callable[[Any, argparse.Namespace, Store], Awaitable[int]]:
    async def body(settings: Any, args: argparse.Namespace, store: Store) -> int:
        name = args.username
        changed = await roles.set_records_manager(store, SYSTEM, name, granted=granted)
        if granted:
            print(f"{name} {'is now' if changed else 'is already'} a records manager")
        else:
            print(f"{name} {'is no longer' if changed else 'is not'} a records manager")
        return 0

    return body
