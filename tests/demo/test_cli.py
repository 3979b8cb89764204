"""`ppud demo load` run for real: its summary, a second run, and refusals of bad arguments."""

from __future__ import annotations

import pytest

from records import offenders
from records.actors import SYSTEM
from records.store import Store
from server.cli import main
from tests.conftest import Ppud


async def test_cli_demo_load_summarises_and_a_second_run_needs_nothing(
    ppud: Ppud, store: Store
) -> None:
    # Records only: the documents' own tests load them through the library (tests/demo).
    first = await ppud("demo", "load", "--offenders", "2", "--documents-for", "0", "--seed", "5")
    second = await ppud("demo", "load", "--offenders", "2", "--documents-for", "0", "--seed", "5")

    assert first.returncode == 0, first.stderr
    assert "seed 5, 2 offenders (documents for the first 0): loaded" in first.stdout
    assert "2 offenders, " in first.stdout and "7 users" in first.stdout
    assert "demo-panel" in first.stdout and "external, Parole Board" in first.stdout
    assert "ppud users set-password" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "nothing new was needed" in second.stdout
    assert await store.db["offenders"].count_documents({}) == 2
    assert await store.db["users"].count_documents({"password_hash": None}) == 7


async def test_cli_demo_load_if_empty_loads_an_empty_database_only(
    ppud: Ppud, store: Store
) -> None:
    # What `make run DEMO=1` runs before serving: the first start loads, later ones do not.
    records_only = ("--offenders", "1", "--documents-for", "0", "--seed", "5", "--if-empty")
    first = await ppud("demo", "load", *records_only)
    second = await ppud("demo", "load", *records_only)

    assert first.returncode == 0, first.stderr
    assert "seed 5, 1 offenders (documents for the first 0): loaded" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("the database already holds casework, so the demo set was not")
    assert await store.db["offenders"].count_documents({}) == 1


async def test_cli_demo_load_if_empty_leaves_other_casework_alone(ppud: Ppud, store: Store) -> None:
    await offenders.create_offender(
        store,
        SYSTEM,
        {"family_name": "Real", "given_names": "Record", "date_of_birth": "1970-05-01"},
    )

    declined = await ppud("demo", "load", "--offenders", "1", "--documents-for", "0", "--if-empty")

    assert declined.returncode == 0, declined.stderr
    assert "already holds casework" in declined.stdout
    assert await store.db["offenders"].count_documents({}) == 1
    assert await store.db["users"].count_documents({}) == 0


async def test_cli_demo_load_refuses_a_bad_count_in_one_line(ppud: Ppud, store: Store) -> None:
    refused = await ppud("demo", "load", "--offenders", "abc")

    assert refused.returncode == 2
    assert refused.stderr == (
        "ppud demo load: error: argument --offenders: must be a whole number, not 'abc'\n"
    )
    assert refused.stdout == ""
    assert await store.db["offenders"].count_documents({}) == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (("--offenders", "0"), "--offenders: must lie between 1 and 100000, not 0"),
        (("--offenders", "-3"), "--offenders: must lie between 1 and 100000, not -3"),
        (
            ("--offenders", "1000000000"),
            "--offenders: must lie between 1 and 100000, not 1000000000",
        ),
        (("--offenders", "9" * 5000), "--offenders: must be a whole number, not '99999"),
        (("--seed", "-1"), "--seed: must lie between 0 and"),
        (("--seed", "1.5"), "--seed: must be a whole number, not '1.5'"),
        (("--documents-for", "some"), "--documents-for: must be a whole number, not 'some'"),
    ],
)
def test_cli_demo_load_refuses_bad_arguments_in_one_short_line(
    capsys: pytest.CaptureFixture[str], given: tuple[str, str], expected: str
) -> None:
    # The parser refuses before any database is touched, so it is asked in this process.
    with pytest.raises(SystemExit) as exited:
        main(["demo", "load", *given])

    assert exited.value.code == 2
    said = capsys.readouterr().err
    assert said.startswith("ppud demo load: error: argument ")
    assert said.count("\n") == 1 and len(said) < 200
    assert expected in said
