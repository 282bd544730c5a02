"""From a connection choice to a ready database and the sign-in endpoints (Qt-free)."""

from __future__ import annotations

from sqlalchemy.engine import URL

from ..db import to_sqlalchemy_url
from .auth import ServerProfile
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
