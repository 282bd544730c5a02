"""Input the database cannot store, or should not: over-long text, NUL bytes, lone surrogates,
numbers where text belongs, NaN in JSON, things that are not dates — refused by the services
with a message per field (issue 9 #11, #23, #24). And database errors that still happen (a bad
value on a raw path, a statement timeout, a server that went away) reach callers as project
errors with plain messages, the session usable afterwards (issue 9 #23)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL

from gcmc_desktop.db import make_engine
from gcmc_desktop.models import Client
from gcmc_desktop.services import auth, businesses, clients, document_types, documents
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.documents import VersionInput
from gcmc_desktop.services.errors import (
    DatabaseUnavailable,
    ServiceError,
    ValidationError,
    install_error_translation,
    translated,
)

from .security_fixtures import PASSWORD, Firms, build_firms


@pytest.fixture
def firms(engine: Engine, database_url: URL) -> Firms:
    return build_firms(engine, database_url, ("FirmAdmin",))


@pytest.fixture
def ctx(firms: Firms) -> Iterator[Context]:
    context = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield context
    context.session.close()


@pytest.fixture
def doc_type(ctx: Context) -> int:
    return document_types.create_document_type(
        ctx, {"name": "Certificate", "category": "identification"}
    )["id"]


def field_errors(call: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.field_errors


def plain(message: str) -> bool:
    """No SQL, no driver or exception names, no file-system paths in a message for people."""
    return not re.search(
        r"SELECT|INSERT|UPDATE|psycopg|sqlalchemy|Error\b|/tmp|\.s\.PGSQL|socket|\[SQL", message
    )


def client_count(ctx: Context) -> int:
    return len(list(ctx.session.scalars(select(Client.id))))


def version(**kwargs: Any) -> VersionInput:
    values: dict[str, Any] = {"file_url": "tenants/1/documents/x", "storage_provider": "local"}
    values.update(kwargs)
    return VersionInput(**values)


# ------------------------------------------------------------------------------ #11 lengths


def test_long_text_is_refused_with_a_message_per_field(ctx: Context) -> None:
    errors = field_errors(
        clients.create_client,
        ctx,
        {
            "name": "x" * 10_000,
            "type": "company",
            "email": "a" * 250 + "@example.com",
            "notes": "n" * 20_000,
            "sector": "s" * 300,
        },
    )
    assert errors["name"] == "Use at most 255 characters."
    assert errors["email"] == "Use at most 254 characters."
    assert errors["sector"] == "Use at most 255 characters."
    assert re.fullmatch(r"Use at most [\d,]+ characters\.", errors["notes"])
    assert client_count(ctx) == 1  # the fixture's client only: nothing was saved
    # Long but reasonable text is fine; the limit counts characters after trimming.
    saved = clients.create_client(
        ctx, {"name": "  " + "y" * 255 + "  ", "type": "company", "notes": "n" * 3000}
    )
    assert saved["name"] == "y" * 255
    errors = field_errors(clients.update_client, ctx, saved["id"], {"address": "a" * 5000}, None)
    assert set(errors) == {"address"}


def test_long_text_in_businesses_documents_and_types(ctx: Context, firms: Firms, doc_type) -> None:
    errors = field_errors(
        businesses.create_business,
        ctx,
        firms.alpha_client,
        {"name": "b" * 256, "registration_number": "1" * 500},
    )
    assert errors == {
        "name": "Use at most 255 characters.",
        "registration_number": "Use at most 100 characters.",
    }
    errors = field_errors(
        documents.create_document,
        ctx,
        client_id=firms.alpha_client,
        document_type_id=doc_type,
        title="t" * 1000,
        tags=["x" * 500],
        first_version=version(),
    )
    assert errors["title"] == "Use at most 255 characters."
    assert "tags" in errors
    errors = field_errors(
        document_types.create_document_type,
        ctx,
        {"name": "n" * 300, "category": "identification", "description": "d" * 50_000},
    )
    assert set(errors) == {"name", "description"}


# --------------------------------------------------------- #23 what the database cannot store


@pytest.mark.parametrize("bad", ["A\x00B", "Lone \ud800 surrogate"])
def test_nul_bytes_and_lone_surrogates_are_field_errors(ctx: Context, bad: str) -> None:
    errors = field_errors(clients.create_client, ctx, {"name": bad, "type": "company"})
    assert set(errors) == {"name"} and plain(errors["name"])
    errors = field_errors(
        clients.create_client, ctx, {"name": "Fine", "type": "company", "notes": bad}
    )
    assert set(errors) == {"notes"}
    errors = field_errors(
        document_types.create_document_type,
        ctx,
        {"name": "T", "category": "identification", "meta": {"note": bad}},
    )
    assert set(errors) == {"meta"}
    # Nothing is left half-done: the same session saves the next client.
    assert clients.create_client(ctx, {"name": "Next", "type": "company"})["id"]


def test_text_layer_with_nul_bytes_is_stored_cleaned(ctx: Context, firms: Firms, doc_type) -> None:
    """Extracted text comes from files, not people: its NULs are dropped, not refused."""
    document = documents.create_document(
        ctx,
        client_id=firms.alpha_client,
        document_type_id=doc_type,
        title="Scan",
        first_version=version(ocr_text="page\x00one \udcff"),
    )
    assert documents.save_text_layer(ctx, document["latest_version_id"], "two\x00pages")
    row = ctx.session.scalar(
        text('SELECT "ocrText" FROM document_versions WHERE id = :i'),
        {"i": document["latest_version_id"]},
    )
    assert row == "twopages"


# ------------------------------------------------------------------------------- #24 types


def test_numbers_where_text_belongs_are_field_errors(ctx: Context) -> None:
    errors = field_errors(
        clients.create_client,
        ctx,
        {"name": "Numbers", "type": "company", "tin": 123456789, "email": 5, "phone": 6001234},
    )
    assert errors == {"tin": "Must be text.", "email": "Must be text.", "phone": "Must be text."}
    errors = field_errors(clients.create_client, ctx, {"name": ["a"], "type": 1})
    assert set(errors) == {"name", "type"}


def test_dates_numbers_and_json_are_checked(ctx: Context, firms: Firms, doc_type) -> None:
    errors = field_errors(
        businesses.create_business, ctx, firms.alpha_client, {"name": "B", "incorporation_date": 5}
    )
    assert set(errors) == {"incorporation_date"}
    # A parseable string or a date object is fine.
    for when in ("2020-02-29", date(2019, 1, 31)):
        assert businesses.create_business(
            ctx, firms.alpha_client, {"name": f"B {when}", "incorporation_date": when}
        )["incorporation_date"].year in (2019, 2020)

    errors = field_errors(
        document_types.create_document_type,
        ctx,
        {"name": "T", "category": "identification", "meta": {"weight": float("nan")}},
    )
    assert set(errors) == {"meta"}
    errors = field_errors(
        document_types.create_document_type,
        ctx,
        {"name": "T", "category": "identification", "meta": {"limit": float("inf")}},
    )
    assert set(errors) == {"meta"}

    errors = field_errors(
        documents.create_document,
        ctx,
        client_id=firms.alpha_client,
        document_type_id=doc_type,
        title="Doc",
        first_version=version(
            file_size=float("nan"), expiry_date=12345, meta={"x": float("nan")}, mime_type=7
        ),
    )
    assert set(errors) == {"file_size", "expiry_date", "meta", "mime_type"}
    errors = field_errors(
        documents.create_document,
        ctx,
        client_id=firms.alpha_client,
        document_type_id="abc",
        title=42,
        first_version=version(),
    )
    assert set(errors) == {"document_type_id", "title"}
    errors = field_errors(
        documents.create_document,
        ctx,
        client_id=firms.alpha_client,
        document_type_id=doc_type,
        title="Doc",
        first_version=version(issue_date="31/12/2024"),
    )
    assert set(errors) == {"issue_date"}


# --------------------------------------------------------------- #23 database errors translated


def test_bad_values_on_a_raw_path_become_plain_errors(ctx: Context) -> None:
    session = ctx.session
    cases = [
        ("SELECT CAST(:v AS integer)", {"v": "abc"}),
        ("SELECT :v::text", {"v": "a\x00b"}),
        ("SELECT :v::text", {"v": "\ud800"}),
        ("SELECT CAST(:v AS integer)", {"v": 2**40}),
        ("SELECT CAST(:v AS jsonb)", {"v": '{"a": NaN}'}),
    ]
    for sql, params in cases:
        with pytest.raises(ServiceError) as caught, translated(session):
            session.execute(text(sql), params)
        assert plain(caught.value.message), caught.value.message
        # Rolled back: the session keeps working.
        assert session.scalar(text("SELECT 1")) == 1
    # Outside `translated` too (a read a view makes through the service session).
    with pytest.raises(ValidationError) as caught:
        clients.get_client(ctx, 2**40)
    assert plain(caught.value.message)
    assert session.scalar(text("SELECT 2")) == 2


def test_statement_timeout_is_database_unavailable(ctx: Context) -> None:
    session = ctx.session
    session.execute(text("SET LOCAL statement_timeout = 50"))
    with pytest.raises(DatabaseUnavailable) as caught:
        session.execute(text("SELECT pg_sleep(2)"))
    assert caught.value.message == DatabaseUnavailable.NOT_ANSWERING
    assert plain(caught.value.message)
    assert session.scalar(text("SELECT 3")) == 3


def test_server_gone_is_database_unavailable_and_the_session_recovers(
    ctx: Context, engine: Engine
) -> None:
    session = ctx.session
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    with engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    with pytest.raises(DatabaseUnavailable) as caught:
        clients.create_client(ctx, {"name": "While offline", "type": "company"})
    assert caught.value.message == DatabaseUnavailable.UNREACHABLE
    assert plain(caught.value.message)
    # The server is back (it never left): the same session reconnects.
    assert clients.create_client(ctx, {"name": "After", "type": "company"})["id"]


def test_unreachable_server_message_has_no_socket_path(tmp_path: Any) -> None:
    url = URL.create(
        "postgresql+psycopg",
        username="nobody",
        database="nothing",
        query={"host": str(tmp_path / "no-server-here")},
    )
    engine = make_engine(url)
    install_error_translation(engine)
    try:
        with pytest.raises(DatabaseUnavailable) as caught, engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert caught.value.message == DatabaseUnavailable.UNREACHABLE
    assert str(tmp_path) not in caught.value.message and plain(caught.value.message)
