"""Engines and sessions. One engine per target; sessions never expire objects on commit so
views can keep showing what they loaded."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from .urls import to_sqlalchemy_url


def make_engine(url: str | URL, **kwargs: object) -> Engine:
    # Sessions run in UTC so CURRENT_TIMESTAMP defaults and now() store UTC like the platform.
    options: dict[str, object] = {
        "pool_pre_ping": True,
        "connect_args": {"options": "-c timezone=UTC"},
    }
    options.update(kwargs)
    return create_engine(to_sqlalchemy_url(url), **options)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
