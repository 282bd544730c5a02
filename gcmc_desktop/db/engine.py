"""Engines and sessions. One engine per target; sessions never expire objects on commit so
views can keep showing what they loaded.

Every connection has limits, so a hung server (one that accepts connections but never answers)
cannot freeze sign-in or a call forever:

- connect timeout: connecting, including the sign-in handshake, gives up after
  `GCMC_CONNECT_TIMEOUT` seconds (default 5);
- TCP keepalives: a server that vanished from the network (cable, VPN, sleep) is noticed on an
  idle connection within about a minute instead of the OS default of two hours;
- statement timeout: an interactive statement is cancelled by the server after
  `GCMC_STATEMENT_TIMEOUT` seconds (default 30; 0 turns it off). Long maintenance work (the
  CLI, migrations) passes `statement_timeout=None`.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from .urls import to_sqlalchemy_url

ENV_CONNECT_TIMEOUT = "GCMC_CONNECT_TIMEOUT"
ENV_STATEMENT_TIMEOUT = "GCMC_STATEMENT_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_STATEMENT_TIMEOUT = 30.0
KEEPALIVE_IDLE = 30  # seconds of silence before the first probe
KEEPALIVE_INTERVAL = 10
KEEPALIVE_COUNT = 3


class _Default:
    """Marks "use the configured default" apart from None ("no limit")."""


DEFAULT = _Default()


def _seconds_from_env(name: str, default: float) -> float | None:
    """Seconds from the environment; 0 or less means no limit; junk falls back to the default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value > 0 else None


def connect_timeout() -> float | None:
    return _seconds_from_env(ENV_CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT)


def statement_timeout() -> float | None:
    return _seconds_from_env(ENV_STATEMENT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT)


def connect_args(
    *,
    statement_timeout_s: float | _Default | None = DEFAULT,
    connect_timeout_s: float | _Default | None = DEFAULT,
) -> dict[str, object]:
    """libpq connection parameters: UTC sessions plus the limits described above."""
    if isinstance(statement_timeout_s, _Default):
        statement_timeout_s = statement_timeout()
    if isinstance(connect_timeout_s, _Default):
        connect_timeout_s = connect_timeout()
    # Sessions run in UTC so CURRENT_TIMESTAMP defaults and now() store UTC like the platform.
    options = ["-c timezone=UTC"]
    # 0 is PostgreSQL's own "no limit": stated explicitly so a server-wide default cannot cut
    # maintenance work short either.
    millis = 0 if statement_timeout_s is None else max(1, round(statement_timeout_s * 1000))
    options.append(f"-c statement_timeout={millis}")
    args: dict[str, object] = {
        "options": " ".join(options),
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE,
        "keepalives_interval": KEEPALIVE_INTERVAL,
        "keepalives_count": KEEPALIVE_COUNT,
    }
    if connect_timeout_s is not None:
        # libpq counts whole seconds and treats 1 as 2; never round a limit down to "none".
        args["connect_timeout"] = max(2, round(connect_timeout_s))
    return args


def make_engine(
    url: str | URL,
    *,
    statement_timeout: float | _Default | None = DEFAULT,
    connect_timeout: float | _Default | None = DEFAULT,
    **kwargs: object,
) -> Engine:
    """An engine with the connection limits above; `statement_timeout=None` for long work."""
    options: dict[str, object] = {
        "pool_pre_ping": True,
        "connect_args": connect_args(
            statement_timeout_s=statement_timeout, connect_timeout_s=connect_timeout
        ),
    }
    options.update(kwargs)
    return create_engine(to_sqlalchemy_url(url), **options)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
