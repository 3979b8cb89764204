"""Settings, read once from the environment into one typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

GIB = 1024**3
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - read, never bound


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class Secret:
    """A value that must never reach a log or a repr."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("var")
    mongodb_uri: Secret | None = None
    database: str = "ppud"
    max_upload_bytes: int = 2 * GIB
    orphan_grace_minutes: int = 60
    sweep_interval_minutes: int = 30
    audit_keep_days: int = 730
    session_idle_minutes: int = 30
    environment: str = "development"
    log_level: str = "INFO"
    log_format: str = "auto"
    workers: int = 1
    trusted_proxies: str | None = None
    tika_url: str | None = None
    extract_timeout_seconds: int = 120
    extract_memory_mib: int = 1024
    ocr: bool = True
    ocr_max_pages: int = 20
    search_worker: bool = True

    @property
    def search_dir(self) -> Path:
        return self.data_dir / "search"

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def url(self) -> str:
        """Where a browser on this machine reaches the server, for the links it prints."""
        # A wildcard address listens on every interface but is no address to open;
        # the loopback address reaches the same server.
        host = _WILDCARDS.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def with_database_uri(self, uri: str) -> Settings:
        return replace(self, mongodb_uri=Secret(uri))


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    # An empty variable counts as unset: `make run` exports every setting,
    # defined or not, and an empty PPUD_HOST should not mean "listen nowhere".
    return env.get(name) or default


def _integer(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").lower()
    if raw == "":
        return default
    if raw in ("on", "true", "1", "yes"):
        return True
    if raw in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"{name} must be on or off, not {env.get(name)!r}")


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name) or None
    if raw is not None and not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http:// or https:// address, not {raw!r}")
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    environment = _text(env, "PPUD_ENV", "development")
    if environment not in ("development", "production"):
        raise ConfigError(f"PPUD_ENV must be development or production, not {environment!r}")
    log_format = _text(env, "PPUD_LOG_FORMAT", "auto")
    if log_format not in ("auto", "json", "text"):
        raise ConfigError(f"PPUD_LOG_FORMAT must be auto, json or text, not {log_format!r}")
    log_level = _text(env, "PPUD_LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(
            f"PPUD_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}"
        )
    uri = env.get("PPUD_MONGODB_URI") or None

    return Settings(
        host=_text(env, "PPUD_HOST", "127.0.0.1"),
        port=_integer(env, "PPUD_PORT", 8000, minimum=0),
        data_dir=Path(_text(env, "PPUD_DATA_DIR", "var")),
        mongodb_uri=Secret(uri) if uri else None,
        database=_text(env, "PPUD_DATABASE", "ppud"),
        max_upload_bytes=_integer(env, "PPUD_MAX_UPLOAD_BYTES", 2 * GIB, minimum=1),
        orphan_grace_minutes=_integer(env, "PPUD_ORPHAN_GRACE_MINUTES", 60, minimum=1),
        sweep_interval_minutes=_integer(env, "PPUD_SWEEP_INTERVAL_MINUTES", 30, minimum=1),
        audit_keep_days=_integer(env, "PPUD_AUDIT_KEEP_DAYS", 730, minimum=183),
        session_idle_minutes=_integer(env, "PPUD_SESSION_IDLE_MINUTES", 30, minimum=1),
        environment=environment,
        log_level=log_level,
        log_format=log_format,
        workers=_integer(env, "PPUD_WORKERS", 1, minimum=1),
        trusted_proxies=env.get("PPUD_TRUSTED_PROXIES") or None,
        tika_url=_url(env, "PPUD_TIKA_URL"),
        extract_timeout_seconds=_integer(env, "PPUD_EXTRACT_TIMEOUT_SECONDS", 120, minimum=1),
        extract_memory_mib=_integer(env, "PPUD_EXTRACT_MEMORY_MIB", 1024, minimum=64),
        ocr=_switch(env, "PPUD_OCR", True),
        ocr_max_pages=_integer(env, "PPUD_OCR_MAX_PAGES", 20, minimum=0),
        search_worker=_switch(env, "PPUD_SEARCH_WORKER", True),
    )
