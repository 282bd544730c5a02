"""Shared by the offline tests: signed-in contexts closed at the end of each test (a pool left
to the garbage collector after its database is dropped prints errors at exit)."""

from __future__ import annotations

import contextlib

from gcmc_desktop.services import auth

from .security_fixtures import PASSWORD, Firms

_opened: list = []


def login(firms: Firms, role: str, password: str = PASSWORD):
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails[role], password))
    _opened.append(ctx)
    return ctx


def close_all() -> None:
    while _opened:
        ctx = _opened.pop()
        with contextlib.suppress(Exception):
            ctx.session.close()
        with contextlib.suppress(Exception):
            ctx.session.get_bind().dispose()
