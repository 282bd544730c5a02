"""Database access: connection URLs, engines and sessions, the embedded server, migrations."""

from .engine import make_engine, session_factory
from .urls import DatabaseTarget, resolve_database_url, to_sqlalchemy_url

__all__ = [
    "DatabaseTarget",
    "make_engine",
    "resolve_database_url",
    "session_factory",
    "to_sqlalchemy_url",
]
