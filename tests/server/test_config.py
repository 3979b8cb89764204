"""Settings come from the environment once, and bad values are named, not guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import GIB, ConfigError, load_settings

VARIABLES = (
    "PPUD_HOST",
    "PPUD_PORT",
    "PPUD_DATA_DIR",
    "PPUD_MONGODB_URI",
    "PPUD_DATABASE",
    "PPUD_ENV",
    "PPUD_MAX_UPLOAD_BYTES",
    "PPUD_ORPHAN_GRACE_MINUTES",
    "PPUD_SWEEP_INTERVAL_MINUTES",
    "PPUD_LOG_LEVEL",
    "PPUD_LOG_FORMAT",
    "PPUD_WORKERS",
    "PPUD_TRUSTED_PROXIES",
)


def test_settings_defaults_match_the_readme() -> None:
    settings = load_settings({})

    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.data_dir == Path("var")
    assert settings.mongodb_uri is None
    assert settings.max_upload_bytes == 2 * GIB
    assert settings.development


def test_settings_empty_variables_count_as_unset() -> None:
    # `make run` exports every setting, so an unset one arrives as "".
    settings = load_settings(dict.fromkeys(VARIABLES, ""))

    assert settings == load_settings({})


def test_settings_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "PPUD_HOST": "192.0.2.10",
            "PPUD_PORT": "9001",
            "PPUD_DATA_DIR": "/srv/ppud",
            "PPUD_MONGODB_URI": "mongodb://db.example:27017/?replicaSet=rs0",
            "PPUD_ENV": "production",
            "PPUD_MAX_UPLOAD_BYTES": "1000",
            "PPUD_LOG_LEVEL": "warning",
        }
    )

    assert (settings.host, settings.port, settings.data_dir) == (
        "192.0.2.10",
        9001,
        Path("/srv/ppud"),
    )
    assert settings.mongodb_uri is not None
    assert settings.mongodb_uri.reveal().startswith("mongodb://db.example")
    assert not settings.development
    assert settings.max_upload_bytes == 1000
    assert settings.log_level == "WARNING"


def test_settings_never_show_the_database_uri() -> None:
    settings = load_settings({"PPUD_MONGODB_URI": "mongodb://admin:hunter2@db.example/"})

    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PPUD_PORT", "eighty"),
        ("PPUD_PORT", "-1"),
        ("PPUD_MAX_UPLOAD_BYTES", "0"),
        ("PPUD_WORKERS", "1.5"),
        ("PPUD_ENV", "staging"),
        ("PPUD_LOG_FORMAT", "xml"),
        ("PPUD_LOG_LEVEL", "LOUD"),
    ],
)
def test_settings_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({name: value})

    assert name in str(raised.value)
    assert value.upper() in str(raised.value).upper()
