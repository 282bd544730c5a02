"""From a connection choice to a ready database and the sign-in endpoints (Qt-free)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from ..db import to_sqlalchemy_url
from ..db.embedded import revive
from .auth import ServerProfile
from .context import Context
from .errors import DatabaseUnavailable
from .startup import Progress, prepare_database
from .storage import StorageProvider


def default_profile(
    progress: Progress = lambda _: None, storage: StorageProvider | None = None
) -> tuple[ServerProfile, str]:
    """$DATABASE_URL's server, else the embedded one (started, migrated and seeded on first
    use; the demo documents' files go to `storage`). Its administrator credentials serve as
    the sign-in gateway; staff still sign in with their own roles. Returns the profile and a
    description of where it is."""
    ready = prepare_database(progress, storage)
    url = ready.target.url
    ready.engine.dispose()
    profile = ServerProfile(database_url=url.set(username=None, password=None), gateway_url=url)
    return profile, ready.target.describe()


def server_profile(host: str, port: int, database: str, gateway_password: str) -> ServerProfile:
    """A central server: staff roles sign in, `gcmc_login` is the gateway before that."""
    base = to_sqlalchemy_url(URL.create("postgresql", host=host, port=port, database=database))
    return ServerProfile(
        database_url=base, gateway_url=base.set(username="gcmc_login", password=gateway_password)
    )


# What a ping found: the server answered; refuses or is gone; accepts but does not answer.
CONNECTED, OFFLINE, NOT_ANSWERING = "connected", "offline", "not answering"
_TIMEOUT_WORDS = ("timeout expired", "timed out", "statement timeout", "canceling statement")


def check_connection(ctx: Context) -> str:
    """Ping the server on a session of its own. The embedded demo server is ours: if it stopped
    it is started again and pinged once more; a central server is only reported on."""
    state = _ping(ctx)
    if state == OFFLINE and revive(ctx.session.get_bind().url):
        state = _ping(ctx)
    return state


def _ping(ctx: Context) -> str:
    try:
        with ctx.reading() as session:
            session.execute(text("SELECT 1"))
        return CONNECTED
    except DatabaseUnavailable as exc:
        return NOT_ANSWERING if exc.timed_out else OFFLINE
    except DBAPIError as exc:  # an engine without the error translation
        message = str(exc.orig or exc).lower()
        return NOT_ANSWERING if any(w in message for w in _TIMEOUT_WORDS) else OFFLINE
