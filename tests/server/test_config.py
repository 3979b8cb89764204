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
    "PPUD_TIKA_URL",
    "PPUD_EXTRACT_TIMEOUT_SECONDS",
    "PPUD_EXTRACT_MEMORY_MIB",
    "PPUD_OCR",
    "PPUD_OCR_MAX_PAGES",
    "PPUD_SEARCH_WORKER",
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


def test_settings_for_search_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "PPUD_TIKA_URL": "http://tika:9998",
            "PPUD_EXTRACT_TIMEOUT_SECONDS": "30",
            "PPUD_EXTRACT_MEMORY_MIB": "512",
            "PPUD_OCR": "off",
            "PPUD_OCR_MAX_PAGES": "3",
            "PPUD_SEARCH_WORKER": "no",
            "PPUD_DATA_DIR": "/srv/ppud",
        }
    )

    assert settings.tika_url == "http://tika:9998"
    assert (settings.extract_timeout_seconds, settings.extract_memory_mib) == (30, 512)
    assert (settings.ocr, settings.ocr_max_pages, settings.search_worker) == (False, 3, False)
    assert settings.search_dir == Path("/srv/ppud/search")


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("PPUD_OCR", "maybe", "PPUD_OCR must be on or off"),
        ("PPUD_SEARCH_WORKER", "2", "PPUD_SEARCH_WORKER must be on or off"),
        ("PPUD_TIKA_URL", "tika:9998", "http:// or https://"),
        ("PPUD_EXTRACT_TIMEOUT_SECONDS", "0", "at least 1"),
        ("PPUD_EXTRACT_MEMORY_MIB", "10", "at least 64"),
        ("PPUD_OCR_MAX_PAGES", "many", "whole number"),
    ],
)
def test_settings_for_search_refuse_bad_values_by_name(name: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_settings({name: value})


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("ppud.example", "http://ppud.example:8000"),
        # A wildcard listens everywhere but is no address to open: the loopback reaches it.
        ("0.0.0.0", "http://127.0.0.1:8000"),  # noqa: S104
        ("::", "http://[::1]:8000"),
        ("::1", "http://[::1]:8000"),
    ],
)
def test_settings_url_is_an_address_a_browser_can_open(host: str, url: str) -> None:
    assert load_settings({"PPUD_HOST": host}).url == url
