"""Documents, versions and document types on real PostgreSQL with signed-in staff: the version
rules of DOMAIN.md §2 (one latest, pointer, status), all-or-nothing writes, duplicate files,
permissions, expiry maintenance (service and CLI), and the documents list."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from gcmc_desktop.cli import main
from gcmc_desktop.db import migrate, session_factory
from gcmc_desktop.models import AuditLog, Client, Document, DocumentVersion, utcnow
from gcmc_desktop.services import auth, document_types, documents, maintenance
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.documents import DuplicateFile, VersionInput
from gcmc_desktop.services.errors import (
    ConflictError,
    DuplicateError,
    InUseError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from gcmc_desktop.services.paging import format_date

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_cli_db import platform_form

ROLES = ("FirmAdmin", "DocumentOfficer", "FilingClerk", "Viewer")


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


@pytest.fixture
def officer(firms: Firms):
    ctx = sign_in(firms, "DocumentOfficer")
    yield ctx
    ctx.session.close()


@pytest.fixture
def admin_ctx(firms: Firms):
    ctx = sign_in(firms, "FirmAdmin")
    yield ctx
    ctx.session.close()


@pytest.fixture
def tin_type(officer: Context) -> int:
    return document_types.create_document_type(
        officer,
        {"name": "TIN certificate", "category": "identification", "authority": "GRA"},
    )["id"]


def sha(n: int) -> str:
    return f"{n:064x}"


def version(n: int, *, expiry: date | datetime | None = None, **kwargs) -> VersionInput:
    return VersionInput(
        file_url=f"tenants/1/documents/{sha(n)}",
        storage_provider="local",
        file_size=1000 + n,
        mime_type="application/pdf",
        sha256=sha(n),
        original_name=f"scan-{n}.pdf",
        expiry_date=expiry,
        **kwargs,
    )


def in_days(days: int) -> date:
    return date.today() + timedelta(days=days)


def new_document(ctx: Context, firms: Firms, type_id: int, title: str = "TIN", **kwargs):
    first = kwargs.pop("first_version", None) or version(1, expiry=None)
    return documents.create_document(
        ctx,
        client_id=kwargs.pop("client_id", firms.alpha_client),
        document_type_id=type_id,
        title=title,
        first_version=first,
        **kwargs,
    )


def state(engine: Engine, document_id: int) -> tuple:
    """What the database holds for a document, read on a fresh administrator connection."""
    with Session(engine) as s:
        doc = s.get(Document, document_id)
        rows = s.execute(
            select(DocumentVersion.id, DocumentVersion.is_latest)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.id)
        ).all()
        return doc.status, doc.latest_version_id, [tuple(r) for r in rows], doc.updated_at


def audit_count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(AuditLog))


# ------------------------------------------------------------------------------------ create


def test_create_with_first_version(firms: Firms, officer: Context, tin_type: int, engine) -> None:
    doc = new_document(
        officer,
        firms,
        tin_type,
        title="TIN certificate 2025",
        tags="tax, TIN, tax",
        first_version=version(1, expiry=in_days(200), document_number="TIN-123"),
    )
    status, latest, versions, _ = state(engine, doc["id"])
    assert status == "valid"
    assert versions == [(latest, True)]
    assert doc["authority"] == "GRA"  # from the type
    assert doc["tags"] == ["tax", "TIN"]
    with Session(engine) as s:
        v = s.get(DocumentVersion, latest)
        assert v.meta == {
            "sha256": sha(1),
            "originalName": "scan-1.pdf",
            "documentNumber": "TIN-123",
        }
        assert v.uploaded_by_id == officer.user_id
        assert v.expiry_date == datetime.combine(in_days(200), datetime.min.time())
        audit = {
            (row.entity_type, row.action, row.entity_id, row.client_id, row.actor_user_id)
            for row in s.scalars(select(AuditLog))
        }
    assert ("document", "create", doc["id"], firms.alpha_client, officer.user_id) in audit
    assert ("document_version", "create", latest, firms.alpha_client, officer.user_id) in audit


def test_create_with_past_expiry_is_expired(firms: Firms, officer: Context, tin_type) -> None:
    doc = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(-1)))
    assert doc["status"] == "expired"


def test_create_validates_input(firms: Firms, officer: Context, tin_type: int) -> None:
    with pytest.raises(ValidationError) as caught:
        new_document(officer, firms, tin_type, title="  ", authority="IRS")
    assert set(caught.value.field_errors) == {"title", "authority"}
    with pytest.raises(ValidationError) as caught:
        new_document(
            officer,
            firms,
            tin_type,
            first_version=version(1, expiry=in_days(1), issue_date=in_days(5)),
        )
    assert "expiry_date" in caught.value.field_errors
    with pytest.raises(NotFoundError):  # another firm's client
        new_document(officer, firms, tin_type, client_id=firms.beta_client)


# ------------------------------------------------------------------------------------ versions


def test_add_version_moves_the_pointer(firms: Firms, officer: Context, tin_type, engine) -> None:
    doc = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(10)))
    second = documents.add_version(officer, doc["id"], version(2, expiry=in_days(-3)))
    status, latest, versions, _ = state(engine, doc["id"])
    assert (status, latest) == ("expired", second["id"])
    assert [is_latest for _, is_latest in versions] == [False, True]

    third = documents.add_version(officer, doc["id"], version(3, expiry=in_days(400)))
    status, latest, versions, _ = state(engine, doc["id"])
    assert (status, latest) == ("valid", third["id"])
    assert sum(is_latest for _, is_latest in versions) == 1
    assert dict(versions)[third["id"]] is True

    history = documents.version_history(officer, doc["id"])
    assert [row.id for row in history] == [third["id"], second["id"], versions[0][0]]
    assert [row.number for row in history] == [3, 2, 1]
    assert {row.uploaded_by for row in history} == {"DocumentOfficer User"}
    assert history[0].sha256 == sha(3) and history[0].original_name == "scan-3.pdf"


def test_concurrent_new_versions_keep_the_newest_as_latest(
    firms: Firms, officer: Context, tin_type: int, engine: Engine
) -> None:
    """Issue 9 #26: ten staff members add versions of one document at the same moment, each on
    their own signed-in connection; every time, the latest version is the newest by upload
    time and no two versions share one."""
    workers = [sign_in(firms, "DocumentOfficer") for _ in range(10)]
    try:
        for run in range(4):
            doc = new_document(
                officer, firms, tin_type, title=f"Race {run}", first_version=version(1000 + run)
            )
            start = threading.Barrier(len(workers))
            failures: list[BaseException] = []

            def add(
                ctx: Context,
                n: int,
                document_id: int = doc["id"],
                start: threading.Barrier = start,
                failures: list[BaseException] = failures,
            ) -> None:
                try:
                    start.wait()
                    documents.add_version(ctx, document_id, version(n))
                except BaseException as exc:  # reported below, not lost in the thread
                    failures.append(exc)

            threads = [
                threading.Thread(target=add, args=(ctx, 100 * (run + 1) + i))
                for i, ctx in enumerate(workers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert failures == []
            with Session(engine) as s:
                rows = s.execute(
                    select(
                        DocumentVersion.id, DocumentVersion.uploaded_at, DocumentVersion.is_latest
                    ).where(DocumentVersion.document_id == doc["id"])
                ).all()
                latest = s.get(Document, doc["id"]).latest_version_id
            assert len(rows) == 11
            assert len({r.uploaded_at for r in rows}) == 11, "two versions share an upload time"
            newest = max(rows, key=lambda r: r.uploaded_at)
            assert latest == newest.id, f"run {run}: the latest is not the newest upload"
            assert [r.id for r in rows if r.is_latest] == [latest]
    finally:
        for ctx in workers:
            ctx.session.close()


def test_add_version_is_all_or_nothing(
    firms: Firms, officer: Context, tin_type: int, engine: Engine
) -> None:
    doc = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(-5)))
    before, audits = state(engine, doc["id"]), audit_count(engine)
    # The database refuses the new version's row after the old versions were already updated
    # in the same transaction.
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                CREATE FUNCTION test_refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW."fileUrl" = 'boom' THEN
                        RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER test_refuse_boom BEFORE INSERT ON document_versions
                    FOR EACH ROW EXECUTE FUNCTION test_refuse_boom();
                """
            )
        )
    statements: list[str] = []
    from sqlalchemy import event

    bind = officer.session.get_bind()
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(bind, "before_cursor_execute", listener)
    boom = VersionInput(file_url="boom", storage_provider="local", expiry_date=in_days(50))
    with pytest.raises(ValidationError):
        documents.add_version(officer, doc["id"], boom)
    event.remove(bind, "before_cursor_execute", listener)
    assert any("FOR UPDATE" in s for s in statements)  # the document row was locked
    assert any(s.startswith("UPDATE document_versions") for s in statements)
    assert state(engine, doc["id"]) == before
    assert audit_count(engine) == audits
    # The session is usable afterwards.
    added = documents.add_version(officer, doc["id"], version(2, expiry=in_days(50)))
    assert state(engine, doc["id"])[:2] == ("valid", added["id"])


def test_same_file_twice_is_refused(firms: Firms, officer: Context, tin_type, engine) -> None:
    doc = new_document(officer, firms, tin_type, title="VAT certificate")
    documents.add_version(officer, doc["id"], version(2))
    before = state(engine, doc["id"])
    with pytest.raises(DuplicateFile) as caught:
        documents.add_version(officer, doc["id"], version(1))
    today = format_date(utcnow())
    assert caught.value.message == (
        f'This file is already version 1 of "VAT certificate", uploaded on {today} '
        "by DocumentOfficer User."
    )
    assert caught.value.number == 1 and caught.value.existing["meta"]["sha256"] == sha(1)
    assert state(engine, doc["id"]) == before
    found = documents.find_version_by_sha256(officer, doc["id"], sha(2).upper())
    assert found is not None and found.number == 2
    assert documents.find_version_by_sha256(officer, doc["id"], sha(9)) is None


def test_delete_latest_promotes_newest_remaining(
    firms: Firms, officer: Context, admin_ctx: Context, tin_type: int, engine: Engine
) -> None:
    doc = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(-1)))
    v2 = documents.add_version(officer, doc["id"], version(2, expiry=in_days(30)))
    v3 = documents.add_version(officer, doc["id"], version(3, expiry=in_days(-30)))
    first = state(engine, doc["id"])[2][0][0]
    with pytest.raises(PermissionDenied):  # DocumentOfficer has no documents:delete
        documents.delete_version(officer, v3["id"])

    documents.delete_version(admin_ctx, v3["id"])
    status, latest, versions, _ = state(engine, doc["id"])
    assert (status, latest, versions) == ("valid", v2["id"], [(first, False), (v2["id"], True)])

    documents.delete_version(admin_ctx, first)  # not the latest: the pointer stays
    assert state(engine, doc["id"])[:3] == ("valid", v2["id"], [(v2["id"], True)])

    with pytest.raises(ValidationError) as caught:
        documents.delete_version(admin_ctx, v2["id"])
    assert "only version" in caught.value.message
    assert state(engine, doc["id"])[:3] == ("valid", v2["id"], [(v2["id"], True)])
    with Session(engine) as s:
        deleted = s.scalars(
            select(AuditLog.entity_id).where(
                AuditLog.entity_type == "document_version", AuditLog.action == "delete"
            )
        ).all()
    assert sorted(deleted) == sorted([v3["id"], first])


def test_other_firms_documents_are_out_of_reach(firms: Firms, admin_ctx: Context) -> None:
    with pytest.raises(NotFoundError):
        documents.add_version(admin_ctx, firms.beta_document, version(5))
    with pytest.raises(NotFoundError):
        documents.get_document(admin_ctx, firms.beta_document)
    assert documents.version_history(admin_ctx, firms.beta_document) == []


# ------------------------------------------------------------------------------------ editing


def test_status_transitions_and_conflicts(
    firms: Firms, officer: Context, tin_type: int, engine: Engine
) -> None:
    doc = new_document(officer, firms, tin_type)
    with pytest.raises(ValidationError) as caught:
        documents.update_document(officer, doc["id"], {"status": "rejected"}, doc["updated_at"])
    assert "can only become expired" in caught.value.field_errors["status"]
    with pytest.raises(ConflictError) as conflict:
        documents.update_document(
            officer, doc["id"], {"title": "Old"}, doc["updated_at"] - timedelta(seconds=1)
        )
    assert conflict.value.current["title"] == "TIN"

    doc = documents.update_document(
        officer, doc["id"], {"status": "expired", "title": "TIN (old)", "tags": ["gra"]}, None
    )
    assert (doc["status"], doc["title"], doc["tags"]) == ("expired", "TIN (old)", ["gra"])
    with pytest.raises(ValidationError):
        documents.update_document(officer, doc["id"], {"status": "valid"}, None)

    with engine.begin() as conn:
        conn.execute(
            text("UPDATE documents SET status = 'pending_review' WHERE id = :i"), {"i": doc["id"]}
        )
    assert (
        documents.update_document(officer, doc["id"], {"status": "valid"}, None)["status"]
        == "valid"
    )

    other_client = Client(tenant_id=firms.alpha, name="Other", type="company")
    with Session(engine) as s:
        s.add(other_client)
        s.commit()
        from gcmc_desktop.models import ClientBusiness

        business = ClientBusiness(tenant_id=firms.alpha, client_id=other_client.id, name="Biz")
        s.add(business)
        s.commit()
        business_id = business.id
    with pytest.raises(ValidationError) as caught:
        documents.update_document(officer, doc["id"], {"client_business_id": business_id}, None)
    assert "client_business_id" in caught.value.field_errors


def test_delete_document(firms: Firms, admin_ctx: Context, tin_type: int, engine) -> None:
    doc = new_document(admin_ctx, firms, tin_type)
    documents.add_version(admin_ctx, doc["id"], version(2))
    documents.delete_document(admin_ctx, doc["id"])
    with Session(engine) as s:
        assert s.get(Document, doc["id"]) is None
        assert not s.scalars(
            select(DocumentVersion).where(DocumentVersion.document_id == doc["id"])
        ).all()


# ------------------------------------------------------------------------------------ permissions


def test_permission_gates(firms: Firms, officer: Context, tin_type: int) -> None:
    doc = new_document(officer, firms, tin_type)  # DocumentOfficer may create
    clerk = sign_in(firms, "FilingClerk")
    for call in (
        lambda: documents.document_list_query(clerk),
        lambda: documents.get_document(clerk, doc["id"]),
        lambda: documents.version_history(clerk, doc["id"]),
        lambda: new_document(clerk, firms, tin_type),
        lambda: document_types.list_document_types(clerk),
    ):
        with pytest.raises(PermissionDenied):
            call()
    viewer = sign_in(firms, "Viewer")
    assert documents.get_document(viewer, doc["id"])["title"] == "TIN"
    with pytest.raises(PermissionDenied):
        documents.add_version(viewer, doc["id"], version(2))
    with pytest.raises(PermissionDenied):
        document_types.create_document_type(viewer, {"name": "X", "category": "other"})
    with pytest.raises(PermissionDenied):
        documents.delete_document(officer, doc["id"])


# ------------------------------------------------------------------------------------ expiry


def test_expiry_state() -> None:
    today = date(2025, 6, 1)
    cases = {
        None: "none",
        date(2025, 5, 31): "expired",
        datetime(2025, 6, 1): "expired",  # the expiry date is the first day it is invalid
        date(2025, 6, 2): "expiring_30",
        date(2025, 7, 1): "expiring_30",
        date(2025, 7, 2): "expiring_60",
        date(2025, 8, 30): "expiring_90",
        date(2025, 9, 1): "valid",
    }
    for expiry, expected in cases.items():
        assert documents.expiry_state(expiry, today) == expected, expiry


def _expire_latest(engine: Engine, document_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE document_versions SET \"expiryDate\" = now() - interval '2 days' "
                'WHERE id = (SELECT "latestVersionId" FROM documents WHERE id = :i)'
            ),
            {"i": document_id},
        )


def test_maintenance_flips_valid_to_expired(
    firms: Firms, officer: Context, tin_type: int, engine: Engine
) -> None:
    doc = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(20)))
    keeps = new_document(officer, firms, tin_type, first_version=version(2, expiry=in_days(20)))
    assert doc["status"] == "valid"
    _expire_latest(engine, doc["id"])
    with Session(engine) as s:  # beta's document, expired too, is another firm's
        s.execute(
            text(
                "UPDATE document_versions SET \"expiryDate\" = now() - interval '1 day'"
                ' WHERE "documentId" = :i'
            ),
            {"i": firms.beta_document},
        )
        s.commit()
    audits = audit_count(engine)
    assert maintenance.refresh_statuses(engine) == 2
    assert state(engine, doc["id"])[0] == "expired"
    assert state(engine, keeps["id"])[0] == "valid"
    assert audit_count(engine) == audits  # the administrator run is not audited
    assert maintenance.refresh_statuses(engine) == 0


def test_maintenance_cli(
    firms: Firms, officer: Context, tin_type: int, engine: Engine, database_url, capsys
) -> None:
    doc = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(20)))
    _expire_latest(engine, doc["id"])
    assert main(["--database-url", platform_form(database_url), "maintenance", "documents"]) == 0
    assert "Marked 1 document(s) expired." in capsys.readouterr().out
    assert state(engine, doc["id"])[0] == "expired"


def test_refresh_with_a_context_is_audited(
    firms: Firms, officer: Context, admin_ctx: Context, tin_type: int, engine: Engine
) -> None:
    doc = new_document(officer, firms, tin_type, first_version=version(1, expiry=in_days(20)))
    _expire_latest(engine, doc["id"])
    _expire_latest(engine, firms.beta_document)
    assert documents.refresh_document_statuses(admin_ctx) == 1  # own firm only
    with Session(engine) as s:
        row = s.scalars(
            select(AuditLog).where(
                AuditLog.entity_type == "document",
                AuditLog.entity_id == doc["id"],
                AuditLog.action == "update",
                AuditLog.changes.has_key("status"),
            )
        ).one()
    assert row.changes["status"] == ["valid", "expired"]
    viewer = sign_in(firms, "Viewer")
    with pytest.raises(PermissionDenied):
        documents.refresh_document_statuses(viewer)


# ------------------------------------------------------------------------------------ types


def test_document_type_unique_rule(officer: Context, tin_type: int) -> None:
    with pytest.raises(DuplicateError) as caught:
        document_types.create_document_type(
            officer, {"name": "TIN certificate", "category": "identification"}
        )
    assert caught.value.message == (
        'A document type "TIN certificate" already exists in the category "identification".'
    )
    # Same name in another category is a different type.
    other = document_types.create_document_type(
        officer, {"name": "TIN certificate", "category": "other", "tags": "gra, tax"}
    )
    assert other["tags"] == ["gra", "tax"]
    with pytest.raises(DuplicateError) as caught:
        document_types.update_document_type(
            officer, other["id"], {"category": "identification"}, other["updated_at"]
        )
    assert "already exists" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        document_types.create_document_type(
            officer, {"name": "", "category": "nonsense", "authority": "IRS"}
        )
    assert set(caught.value.field_errors) == {"name", "category", "authority"}
    names = [(t["name"], t["category"]) for t in document_types.list_document_types(officer)]
    assert names == [("TIN certificate", "identification"), ("TIN certificate", "other")]


def test_document_type_in_use_cannot_be_deleted(
    firms: Firms, officer: Context, admin_ctx: Context, tin_type: int
) -> None:
    new_document(officer, firms, tin_type, title="Alpha TIN")
    new_document(officer, firms, tin_type, title="Beta TIN", first_version=version(2))
    with pytest.raises(InUseError) as caught:
        document_types.delete_document_type(admin_ctx, tin_type)
    assert caught.value.message.startswith(
        'Cannot delete document type "TIN certificate": it is still used by 2 documents: '
        '"Alpha TIN", "Beta TIN".'
    )
    assert caught.value.users == {"documents": 2}
    spare = document_types.create_document_type(admin_ctx, {"name": "Spare", "category": "other"})
    document_types.delete_document_type(admin_ctx, spare["id"])
    with pytest.raises(NotFoundError):
        document_types.get_document_type(admin_ctx, spare["id"])


# ------------------------------------------------------------------------------------ the list


def test_list_filters_and_search(
    firms: Firms, officer: Context, tin_type: int, engine: Engine
) -> None:
    with Session(engine) as s:
        second = Client(tenant_id=firms.alpha, name="Second Client", type="company")
        s.add(second)
        s.commit()
        second_id = second.id
    nis_type = document_types.create_document_type(
        officer, {"name": "NIS compliance certificate", "category": "compliance_certificate"}
    )["id"]
    soon = new_document(
        officer, firms, tin_type, title="TIN soon", first_version=version(1, expiry=in_days(10))
    )
    later = new_document(
        officer,
        firms,
        nis_type,
        title="NIS later",
        tags=["payroll", "annual"],
        authority="NIS",
        first_version=version(2, expiry=in_days(80)),
    )
    old = new_document(
        officer, firms, tin_type, title="TIN old", first_version=version(3, expiry=in_days(-10))
    )
    scanned = new_document(
        officer,
        firms,
        nis_type,
        title="Scan 0042",
        client_id=second_id,
        first_version=version(4, ocr_text="Certificate of Compliance issued to Zephyrine Ltd"),
    )

    def ids(**filters) -> set[int]:
        query = documents.document_list_query(officer, client_id=filters.pop("client", None))
        search = filters.pop("search", "")
        for key, value in filters.items():
            query.set_filter(key, value)
        query.set_search(search)
        with officer.reading() as s:
            page = query.first_page(s, 50)
            assert query.count(s) == len(page.ids)
        return set(page.ids)

    everyone = {soon["id"], later["id"], old["id"], scanned["id"]}
    assert ids() == everyone  # Beta's document is not listed
    assert ids(status="expired") == {old["id"]}
    assert ids(status=["valid", "expired"]) == everyone
    assert ids(document_type_id=nis_type) == {later["id"], scanned["id"]}
    assert ids(authority="NIS") == {later["id"]}
    assert ids(client_id=second_id) == {scanned["id"]}
    assert ids(client=firms.alpha_client) == {soon["id"], later["id"], old["id"]}
    assert ids(expiring_within_days=30) == {soon["id"]}
    assert ids(expiring_within_days=90) == {soon["id"], later["id"]}
    assert ids(expiring_within_days=30, document_type_id=nis_type) == set()
    assert ids(search="soon") == {soon["id"]}  # title
    assert ids(search="PAYROLL") == {later["id"]}  # tags
    assert ids(search="zephyrine") == {scanned["id"]}  # the latest version's text
    assert ids(search="100%") == set()

    query = documents.document_list_query(officer)
    with officer.reading() as s:
        rows = query.first_page(s, 50).dicts()
    by_id = {row["id"]: row for row in rows}
    assert by_id[later["id"]]["client"] == "Alpha Client"
    assert by_id[later["id"]]["type"] == "NIS compliance certificate"
    assert by_id[later["id"]]["expiry"] == datetime.combine(in_days(80), datetime.min.time())
    assert [row["title"] for row in rows] == sorted(row["title"] for row in rows)
    status_column = query.columns[query.column_index("status")]
    assert status_column.format("pending_review") == "Pending review"
    with pytest.raises(ValueError):
        query.set_filter("expiring_within_days", "soon")
        with officer.reading() as s:
            query.first_page(s, 10)


def test_search_uses_the_trigram_indexes(engine: Engine) -> None:
    with session_factory(engine)() as s:
        s.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(
            s.scalars(
                text(
                    "EXPLAIN SELECT id FROM documents WHERE title ILIKE '%abc%' "
                    "OR desktop_tags_text(tags) ILIKE '%abc%'"
                )
            )
        )
        assert "desktop_documents_search_trgm_idx" in plan, plan
        plan = "\n".join(
            s.scalars(
                text("EXPLAIN SELECT id FROM document_versions WHERE \"ocrText\" ILIKE '%abc%'")
            )
        )
        assert "desktop_document_versions_ocr_trgm_idx" in plan, plan


def test_documents_migration_downgrades(engine: Engine) -> None:
    def objects() -> set[str]:
        with engine.connect() as conn:
            names = set(
                conn.scalars(
                    text(
                        "SELECT indexname FROM pg_indexes WHERE indexname LIKE "
                        "'desktop\\_document%'"
                    )
                )
            )
            names |= set(
                conn.scalars(
                    text("SELECT proname FROM pg_proc WHERE proname = 'desktop_tags_text'")
                )
            )
            return names

    assert len(objects()) == 4
    migrate.downgrade(engine, "0004_remembered_devices")
    assert objects() == set()
    migrate.upgrade(engine)
    assert len(objects()) == 4


# ------------------------------------------------------------------------------ plain data


def test_services_hand_out_plain_data_not_orm_objects(firms: Firms, tin_type: int) -> None:
    """Views and the CLI get dicts keyed by attribute name (with "id" and "updated_at"), never
    rows bound to a session."""
    from gcmc_desktop.models import Base
    from gcmc_desktop.services import businesses, clients

    admin = sign_in(firms, "FirmAdmin")
    client = clients.create_client(admin, {"name": "Plain Data Ltd", "type": "company"})
    client = clients.update_client(admin, client["id"], {"sector": "Retail"}, client["updated_at"])
    business = businesses.create_business(admin, client["id"], {"name": "Plain Shop"})
    doc = new_document(admin, firms, tin_type, client_id=client["id"])
    added = documents.add_version(admin, doc["id"], version(2))
    results = [
        client,
        clients.get_client(admin, client["id"]),
        business,
        businesses.get_business(admin, business["id"]),
        *businesses.list_businesses(admin, client["id"]),
        document_types.get_document_type(admin, tin_type),
        *document_types.list_document_types(admin),
        doc,
        added,
        documents.get_document(admin, doc["id"]),
        documents.update_document(admin, doc["id"], {"title": "Plain"}, None),
        *(row.version for row in documents.version_history(admin, doc["id"])),
    ]
    for result in results:
        assert type(result) is dict and "id" in result
        assert not any(isinstance(value, Base) for value in result.values())
    assert {"updated_at", "name", "sector"} <= set(client)
    assert business["client_id"] == client["id"] and doc["client_id"] == client["id"]
    blocked = document_types.in_use_error(admin, tin_type)
    assert blocked is not None and "Plain" in blocked.message
