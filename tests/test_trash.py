"""Deleted items (issue 15, "Trash") on real PostgreSQL as signed-in staff: a deleted client with
everything its delete cascaded comes back row for row (every column, ids and links); a document,
a filing and a request alone too; the restore is audited; a role without the delete permission,
another firm's staff and raw SQL get nothing; a conflict refuses and changes nothing; after 30
days the purge removes the item and the orphans sweep its files, not before."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text

from gcmc_desktop.cli import main
from gcmc_desktop.services import auth, clients, documents, filings, service_requests, trash
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import NotFoundError, PermissionDenied, ValidationError
from gcmc_desktop.services.maintenance import remove_orphaned_files
from gcmc_desktop.services.storage import LocalFolderStorage, object_key

from .security_fixtures import PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect
from .test_cli_db import platform_form

ROLES = ("FirmAdmin", "FilingClerk")

# Every table a client's delete reaches (cascade or SET NULL), and the desktop tables the
# database keeps beside them.
COMPARED = (
    "clients",
    "client_businesses",
    "documents",
    "document_versions",
    "filings",
    "filing_documents",
    "service_requests",
    "service_steps",
    "tasks",
    "conversations",
    "client_tasks",
    "compliance_scores",
    "recurring_filings",
    "desktop_generated_filings",
    "desktop_client_names",
    "desktop_latest_versions",
    "desktop_filing_due_dates",
)


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


@pytest.fixture
def admin_ctx(firms: Firms):
    ctx = sign_in(firms, "FirmAdmin")
    yield ctx
    ctx.session.close()


@pytest.fixture
def clerk(firms: Firms):
    ctx = sign_in(firms, "FilingClerk")
    yield ctx
    ctx.session.close()


def one(conn, sql: str, **params) -> int:
    return conn.execute(text(sql + " RETURNING id"), params).scalar_one()


def build_client(
    engine: Engine, tenant: int, name: str = "Demerara Traders", tin: str = "123456789"
):
    """A client with two businesses, two documents of two versions each (one per business),
    two filings (one with a document attached), a request whose steps depend on each other and
    point at a filing, a staff task and a conversation that link to it, a client task, a
    compliance score, a recurring schedule and a generated-filing record. Written as the owner
    (no audit); returns the ids."""
    now = "2026-11-02 10:11:12.345"
    with engine.begin() as c:
        cid = one(
            c,
            'INSERT INTO clients ("tenantId", name, type, tin, email, "updatedAt") '
            "VALUES (:t, :n, 'company', :tin, 'info@dt.gy', :now)",
            t=tenant,
            n=name,
            tin=tin,
            now=now,
        )
        biz = [
            one(
                c,
                'INSERT INTO client_businesses ("tenantId", "clientId", name, "updatedAt") '
                "VALUES (:t, :c, :n, :now)",
                t=tenant,
                c=cid,
                n=f"Shop {i}",
                now=now,
            )
            for i in (1, 2)
        ]
        kind = one(
            c,
            'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
            "VALUES (:t, :n, 'tax', :now)",
            t=tenant,
            n=f"TIN cert {cid}",
            now=now,
        )
        docs, versions = [], []
        for i, b in enumerate(biz):
            d = one(
                c,
                'INSERT INTO documents ("tenantId", "clientId", "clientBusinessId", '
                '"documentTypeId", title, status, tags, "updatedAt") VALUES '
                "(:t, :c, :b, :k, :title, 'valid', ARRAY['a','b'], :now)",
                t=tenant,
                c=cid,
                b=b,
                k=kind,
                title=f"Certificate {i}",
                now=now,
            )
            vs = [
                one(
                    c,
                    'INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", '
                    '"uploadedAt", "expiryDate", "isLatest") VALUES (:d, :u, \'local\', :at, '
                    "'2027-01-31', :latest)",
                    d=d,
                    u=object_key(tenant, d, hashlib.sha256(f"{d}-{j}".encode()).hexdigest()),
                    at=f"2026-11-0{j + 1} 08:00:00",
                    latest=j == 1,
                )
                for j in (0, 1)
            ]
            c.execute(
                text('UPDATE documents SET "latestVersionId" = :v WHERE id = :d'),
                {"v": vs[1], "d": d},
            )
            docs.append(d)
            versions.extend(vs)
        ftype = one(
            c,
            'INSERT INTO filing_types ("tenantId", name, code, authority, frequency, '
            "\"updatedAt\") VALUES (:t, 'VAT return', :code, 'GRA', 'monthly', :now)",
            t=tenant,
            code=f"VAT{cid}",
            now=now,
        )
        fil = [
            one(
                c,
                'INSERT INTO filings ("tenantId", "clientId", "clientBusinessId", "filingTypeId", '
                '"periodLabel", "periodStart", "periodEnd", status, "taxAmount", total, '
                "\"updatedAt\") VALUES (:t, :c, :b, :f, :p, '2026-10-01', '2026-10-31', "
                "'draft', 1234.56, 0.30000000000000004, :now)",
                t=tenant,
                c=cid,
                b=b,
                f=ftype,
                p=f"October 2026 #{i}",
                now=now,
            )
            for i, b in enumerate((biz[0], None))
        ]
        c.execute(
            text('INSERT INTO filing_documents ("filingId", "documentId") VALUES (:f, :d)'),
            {"f": fil[0], "d": docs[0]},
        )
        service = one(
            c,
            'INSERT INTO services ("tenantId", name, category, "updatedAt") '
            "VALUES (:t, 'Company registration', 'dcra', :now)",
            t=tenant,
            now=now,
        )
        req = one(
            c,
            'INSERT INTO service_requests ("tenantId", "clientId", "clientBusinessId", '
            '"serviceId", status, metadata, "updatedAt") VALUES (:t, :c, :b, :s, '
            "'in_progress', '{\"note\": \"x\"}', :now)",
            t=tenant,
            c=cid,
            b=biz[1],
            s=service,
            now=now,
        )
        s1 = one(
            c,
            'INSERT INTO service_steps ("serviceRequestId", title, "order", status, '
            "\"filingId\", \"updatedAt\") VALUES (:r, 'Prepare', 1, 'done', :f, :now)",
            r=req,
            f=fil[1],
            now=now,
        )
        s2 = one(
            c,
            'INSERT INTO service_steps ("serviceRequestId", title, "order", status, '
            "\"dependsOnStepId\", \"updatedAt\") VALUES (:r, 'File', 2, 'pending', :s, :now)",
            r=req,
            s=s1,
            now=now,
        )
        # The second task links the client, one of its filings and its request: the delete
        # clears all three in three cascaded updates of one row (migration 0022).
        task = one(
            c,
            'INSERT INTO tasks ("tenantId", "clientId", title, status, "updatedAt") '
            "VALUES (:t, :c, 'Call', 'open', :now)",
            t=tenant,
            c=cid,
            now=now,
        )
        one(
            c,
            'INSERT INTO tasks ("tenantId", "clientId", "filingId", "serviceRequestId", title, '
            "status, \"updatedAt\") VALUES (:t, :c, :f, :r, 'Chase', 'open', :now)",
            t=tenant,
            c=cid,
            f=fil[0],
            r=req,
            now=now,
        )
        conv = one(
            c,
            'INSERT INTO conversations ("tenantId", "clientId", "serviceRequestId", '
            "subject, \"updatedAt\") VALUES (:t, :c, :r, 'About VAT', :now)",
            t=tenant,
            c=cid,
            r=req,
            now=now,
        )
        one(
            c,
            'INSERT INTO client_tasks ("tenantId", "clientId", "serviceRequestId", title, status, '
            "\"updatedAt\") VALUES (:t, :c, :r, 'Send papers', 'open', :now)",
            t=tenant,
            c=cid,
            r=req,
            now=now,
        )
        one(
            c,
            'INSERT INTO compliance_scores ("tenantId", "clientId", "scoreValue", level, '
            '"missingCount", "expiringCount", "overdueFilingsCount", "lastCalculatedAt") '
            "VALUES (:t, :c, 80, 'medium', 1, 0, 0, :now)",
            t=tenant,
            c=cid,
            now=now,
        )
        rec = one(
            c,
            'INSERT INTO recurring_filings ("tenantId", "clientId", "filingTypeId", schedule, '
            "\"updatedAt\") VALUES (:t, :c, :f, 'monthly', :now)",
            t=tenant,
            c=cid,
            f=ftype,
            now=now,
        )
        c.execute(
            text(
                'INSERT INTO desktop_generated_filings ("tenantId", "clientId", "filingTypeId", '
                '"periodStart", "periodLabel", "recurringId", "filingId") '
                "VALUES (:t, :c, :f, '2026-10-01', 'October 2026', :r, :fil)"
            ),
            {"t": tenant, "c": cid, "f": ftype, "r": rec, "fil": fil[0]},
        )
    return {
        "client": cid,
        "businesses": biz,
        "documents": docs,
        "versions": versions,
        "filings": fil,
        "request": req,
        "steps": [s1, s2],
        "task": task,
        "conversation": conv,
        "document_type": kind,
        "filing_type": ftype,
        "service": service,
    }


def snapshot(engine: Engine) -> dict[str, list]:
    """Every row of the compared tables, all columns, in a stable order."""
    out = {}
    with engine.connect() as c:
        for table in COMPARED:
            rows = c.execute(text(f'SELECT to_jsonb(t) FROM "{table}" t')).scalars().all()
            out[table] = sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))
    return out


def count(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar_one()


def trash_id(engine: Engine, entity: str, ident: int) -> int:
    with engine.connect() as c:
        return c.execute(
            text('SELECT id FROM desktop_trash WHERE "entityType" = :e AND "entityId" = :i'),
            {"e": entity, "i": ident},
        ).scalar_one()


# ------------------------------------------------------------------------------- round trips


def test_client_with_everything_comes_back_row_for_row(
    engine: Engine, firms: Firms, admin_ctx: Context
) -> None:
    ids = build_client(engine, firms.alpha)
    # An edit as staff: the client's trail has an audit row that the delete un-links.
    clients.update_client(admin_ctx, ids["client"], {"phone": "+592 600 1234"}, None)
    trail_before = count(
        engine, 'SELECT count(*) FROM audit_logs WHERE "clientId" = :c', c=ids["client"]
    )
    assert trail_before >= 1
    before = snapshot(engine)

    clients.delete_client(admin_ctx, ids["client"])
    assert count(engine, "SELECT count(*) FROM clients WHERE id = :c", c=ids["client"]) == 0
    assert (
        count(engine, "SELECT count(*) FROM documents WHERE id = ANY(:d)", d=ids["documents"]) == 0
    )
    assert (
        count(
            engine, 'SELECT count(*) FROM tasks WHERE id = :t AND "clientId" IS NULL', t=ids["task"]
        )
        == 1
    )
    listed = trash.trash_list_query(admin_ctx).first_page(admin_ctx.session, 50)
    assert [(r[0], r[1]) for r in listed.rows] == [("client", "Demerara Traders")]

    item = trash.restore(admin_ctx, trash_id(engine, "client", ids["client"]))
    assert item.entity_id == ids["client"]
    after = snapshot(engine)
    for table in COMPARED:
        assert after[table] == before[table], table
    # Its trail is its own again, with the restore on it.
    assert (
        count(
            engine,
            'SELECT count(*) FROM audit_logs WHERE "clientId" = :c AND action = '
            "'update' AND changes ? 'phone'",
            c=ids["client"],
        )
        == 1
    )
    assert (
        count(
            engine,
            'SELECT count(*) FROM audit_logs WHERE "clientId" = :c AND action = '
            "'delete' AND \"entityType\" = 'client'",
            c=ids["client"],
        )
        == 1
    )
    with engine.connect() as c:
        restore_row = c.execute(
            text(
                'SELECT "actorUserId", "clientId", "entityType" FROM audit_logs '
                "WHERE action = 'restore' AND \"entityId\" = :c"
            ),
            {"c": ids["client"]},
        ).one()
    assert restore_row == (admin_ctx.user_id, ids["client"], "client")
    # Gone from the list; a second restore is refused.
    assert trash.trash_list_query(admin_ctx).first_page(admin_ctx.session, 50).rows == []
    with pytest.raises(NotFoundError):
        trash.restore(admin_ctx, trash_id(engine, "client", ids["client"]))


def _page_rows(ctx: Context):
    return trash.trash_list_query(ctx).first_page(ctx.session, 50).rows


@pytest.mark.parametrize("kind", ["document", "filing", "service_request"])
def test_a_document_filing_or_request_alone_comes_back_with_its_links(
    engine: Engine, firms: Firms, admin_ctx: Context, kind: str
) -> None:
    ids = build_client(engine, firms.alpha)
    before = snapshot(engine)
    target = {
        "document": ids["documents"][0],
        "filing": ids["filings"][0],
        "service_request": ids["request"],
    }[kind]
    remove = {
        "document": documents.delete_document,
        "filing": filings.delete_filing,
        "service_request": service_requests.delete_request,
    }[kind]
    remove(admin_ctx, target)
    assert snapshot(engine) != before
    trash.restore(admin_ctx, trash_id(engine, kind, target))
    after = snapshot(engine)
    for table in COMPARED:
        assert after[table] == before[table], table
    assert (
        count(
            engine,
            "SELECT count(*) FROM audit_logs WHERE action = 'restore' "
            'AND "entityType" = :e AND "entityId" = :i AND "clientId" = :c',
            e=kind,
            i=target,
            c=ids["client"],
        )
        == 1
    )


# ------------------------------------------------------------------------------- refusals


def test_a_role_without_delete_cannot_see_or_restore(
    engine: Engine, firms: Firms, admin_ctx: Context, clerk: Context
) -> None:
    ids = build_client(engine, firms.alpha)
    filings.delete_filing(admin_ctx, ids["filings"][1])
    item = trash_id(engine, "filing", ids["filings"][1])
    with pytest.raises(PermissionDenied):
        trash.trash_list_query(clerk)
    with pytest.raises((PermissionDenied, NotFoundError)):
        trash.restore(clerk, item)
    # The database agrees: the clerk's own login sees no trash and cannot stamp a restore.
    url = firms.user_url(firms.emails["FilingClerk"])
    with connect(url) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute("SELECT count(*) FROM desktop_trash").fetchone() == (0,)
        cur = conn.execute(
            'UPDATE desktop_trash SET "restoredAt" = now(), "restoredBy" = gcmc_current_user_id()'
        )
        assert cur.rowcount == 0
    assert count(engine, "SELECT count(*) FROM filings WHERE id = :f", f=ids["filings"][1]) == 0


def test_another_firm_cannot_see_or_restore_and_raw_sql_is_refused(
    engine: Engine, firms: Firms, admin_ctx: Context
) -> None:
    ids = build_client(engine, firms.alpha)
    clients.delete_client(admin_ctx, ids["client"])
    item = trash_id(engine, "client", ids["client"])
    beta = auth.open_context(auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD))
    try:
        assert _page_rows(beta) == []
        with pytest.raises(NotFoundError):
            trash.restore(beta, item)
    finally:
        beta.session.close()
    url = firms.user_url("boss@beta.gy")
    with connect(url) as conn:
        for tenant in (str(firms.beta), str(firms.alpha), "", None):
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (tenant or "",))
            assert conn.execute("SELECT count(*) FROM desktop_trash").fetchone() == (0,)
            assert (
                conn.execute(
                    'UPDATE desktop_trash SET "restoredAt" = now(), '
                    '"restoredBy" = gcmc_current_user_id() WHERE id = %s',
                    (item,),
                ).rowcount
                == 0
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM desktop_trash")
            with pytest.raises(psycopg.Error):
                conn.execute("UPDATE desktop_trash SET payload = '{}'")
        # Inserting into Alpha's trash, or into none, is refused (as somebody else cannot be
        # written at all: the deleter is stamped by the database).
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        for tenant, who in (
            (firms.alpha, "gcmc_current_user_id()"),
            (None, "'nobody'"),
            (firms.alpha, "NULL"),
        ):
            with pytest.raises(psycopg.Error):
                conn.execute(
                    'INSERT INTO desktop_trash ("tenantId", "entityType", "entityId", payload, '
                    f"\"deletedBy\") VALUES (%s, 'client', 1, '{{}}', {who})",
                    (tenant,),
                )
        # The database's own functions cannot be called by hand.
        for call in ("SELECT desktop__trash_restored()", "SELECT desktop__trash_stamp()"):
            with pytest.raises(psycopg.Error):
                conn.execute(call)
        assert conn.execute("SELECT desktop__trash_module(NULL)").fetchone() == (None,)
        assert conn.execute("SELECT desktop__trash_module('x'' OR 1=1')").fetchone() == (None,)
    assert count(engine, 'SELECT count(*) FROM desktop_trash WHERE "restoredAt" IS NULL') == 1


def test_a_staff_written_trash_row_gets_the_real_deleter_and_audit_ids(
    engine: Engine, firms: Firms, admin_ctx: Context
) -> None:
    """What staff insert by hand cannot name another deleter, backdate it, or pick which audit
    rows a restore links back."""
    url = firms.user_url(firms.emails["FirmAdmin"])
    with connect(url) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        conn.execute(
            'INSERT INTO desktop_trash ("tenantId", "entityType", "entityId", payload, '
            '"deletedBy", "deletedAt", "auditIds") VALUES (%s, \'client\', %s, \'{}\', '
            "gcmc_current_user_id(), '2000-01-01', '{1,2,3}')",
            (firms.alpha, firms.alpha_client),
        )
    with engine.connect() as c:
        row = c.execute(
            text('SELECT "deletedBy", "deletedAt", "auditIds" FROM desktop_trash')
        ).one()
    assert row[0] == admin_ctx.user_id and row[1].year >= 2026 and 1 not in row[2]


def test_conflicting_tin_refuses_clearly_and_changes_nothing(
    engine: Engine, firms: Firms, admin_ctx: Context
) -> None:
    ids = build_client(engine, firms.alpha, tin="987654321")
    clients.delete_client(admin_ctx, ids["client"])
    clients.create_client(admin_ctx, {"name": "Newcomer", "type": "company", "tin": "987654321"})
    before = snapshot(engine)
    item = trash_id(engine, "client", ids["client"])
    with pytest.raises(ValidationError) as refused:
        trash.restore(admin_ctx, item)
    assert 'TIN 987654321 is now used by the client "Newcomer"' in refused.value.message
    assert snapshot(engine) == before
    assert len(_page_rows(admin_ctx)) == 1


def test_a_document_of_a_deleted_client_waits_for_its_client(
    engine: Engine, firms: Firms, admin_ctx: Context
) -> None:
    ids = build_client(engine, firms.alpha)
    documents.delete_document(admin_ctx, ids["documents"][1])
    clients.delete_client(admin_ctx, ids["client"])
    document_item = trash_id(engine, "document", ids["documents"][1])
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refused:
        trash.restore(admin_ctx, document_item)
    assert 'restore the client "Demerara Traders" first' in refused.value.message
    assert snapshot(engine) == before
    trash.restore(admin_ctx, trash_id(engine, "client", ids["client"]))
    trash.restore(admin_ctx, document_item)
    assert (
        count(
            engine,
            'SELECT count(*) FROM document_versions WHERE "documentId" = :d',
            d=ids["documents"][1],
        )
        == 2
    )


# ------------------------------------------------------------------------------- purge and files


def _store_files(store: LocalFolderStorage, keys: list[str], tmp: Path) -> None:
    old = time.time() - 3 * 86400
    for key in keys:
        source = tmp / "src"
        source.write_bytes(key.encode())
        digest = hashlib.sha256(key.encode()).hexdigest()
        store.put_file(key, source, sha256=digest, size=len(key), content_type="application/pdf")
        os.utime(store.root / key, (old, old))


def test_files_stay_while_in_trash_and_go_after_the_purge(
    engine: Engine, firms: Firms, admin_ctx: Context, database_url, tmp_path: Path, capsys
) -> None:
    ids = build_client(engine, firms.alpha)
    with engine.connect() as c:
        keys = (
            c.execute(
                text('SELECT "fileUrl" FROM document_versions WHERE id = ANY(:v)'),
                {"v": ids["versions"]},
            )
            .scalars()
            .all()
        )
    (tmp_path / "store").mkdir()
    store = LocalFolderStorage(tmp_path / "store")
    _store_files(store, keys, tmp_path)
    clients.delete_client(admin_ctx, ids["client"])

    found = remove_orphaned_files(engine, store, older_than=timedelta(hours=1))
    assert found == {} and all(store.exists(k) for k in keys)

    args = ["--database-url", platform_form(database_url), "maintenance"]
    assert main([*args, "purge-trash", "--older-than", "30d"]) == 0
    assert "Purged 0 deleted item(s)" in capsys.readouterr().out
    with engine.begin() as c:  # 31 days on
        c.execute(text('UPDATE desktop_trash SET "deletedAt" = "deletedAt" - interval \'31 days\''))
    assert _page_rows(admin_ctx) == []  # no longer offered
    assert main([*args, "purge-trash", "--dry-run"]) == 0
    assert "Would purge 1 deleted item(s)" in capsys.readouterr().out
    assert count(engine, "SELECT count(*) FROM desktop_trash") == 1
    assert main([*args, "purge-trash"]) == 0
    assert "Purged 1 deleted item(s)" in capsys.readouterr().out
    assert count(engine, "SELECT count(*) FROM desktop_trash") == 0
    found = remove_orphaned_files(engine, store, older_than=timedelta(hours=1))
    assert sorted(found[firms.alpha]) == sorted(keys)
    assert not any(store.exists(k) for k in keys)


def test_the_orphans_run_purges_old_items_itself(
    engine: Engine, firms: Firms, admin_ctx: Context, tmp_path: Path
) -> None:
    ids = build_client(engine, firms.alpha)
    documents.delete_document(admin_ctx, ids["documents"][0])
    filings.delete_filing(admin_ctx, ids["filings"][0])
    with engine.begin() as c:
        c.execute(
            text(
                'UPDATE desktop_trash SET "deletedAt" = "deletedAt" - interval \'31 days\' '
                "WHERE \"entityType\" = 'document'"
            )
        )
    (tmp_path / "store").mkdir()
    remove_orphaned_files(engine, LocalFolderStorage(tmp_path / "store"), older_than=timedelta(1))
    with engine.connect() as c:
        left = c.execute(text('SELECT "entityType" FROM desktop_trash')).scalars().all()
    assert left == ["filing"]


def test_a_role_that_may_delete_clients_but_not_create_documents_is_told_why(
    engine: Engine, firms: Firms, admin_ctx: Context
) -> None:
    """The restore inserts as the user: row-level security refuses what their role could not
    have created, and the message says so; nothing changes."""
    from gcmc_desktop.services import users

    with engine.begin() as c:
        role = one(
            c,
            'INSERT INTO roles ("tenantId", name, "updatedAt") VALUES (:t, \'Archivist\', now())',
            t=firms.alpha,
        )
        grants = [("clients", "delete")] + [
            (m, "view") for m in ("clients", "documents", "filings", "services", "tasks")
        ]
        for module, action in grants:
            c.execute(
                text(
                    'INSERT INTO permissions ("roleId", module, action, "updatedAt") '
                    "VALUES (:r, :m, :a, now())"
                ),
                {"r": role, "m": module, "a": action},
            )
        users.create_user(c, firms.alpha, "archivist@alpha.gy", "Archivist", "Archivist", PASSWORD)
    ids = build_client(engine, firms.alpha)
    clients.delete_client(admin_ctx, ids["client"])
    before = snapshot(engine)
    archivist = auth.open_context(auth.sign_in(firms.profile, "archivist@alpha.gy", PASSWORD))
    try:
        assert [r[0] for r in _page_rows(archivist)] == ["client"]
        with pytest.raises(PermissionDenied) as refused:
            trash.restore(archivist, trash_id(engine, "client", ids["client"]))
    finally:
        archivist.session.close()
    assert "may not put back everything it had" in refused.value.message
    assert snapshot(engine) == before


def test_restore_announces_what_came_back(engine: Engine, firms: Firms, admin_ctx: Context) -> None:
    """The operation's change set (the change bus) names the records the restore put back."""
    from gcmc_desktop.services.changes import take_committed, track_changes

    ids = build_client(engine, firms.alpha)
    documents.delete_document(admin_ctx, ids["documents"][0])
    track_changes(admin_ctx.session)
    take_committed(admin_ctx.session)
    trash.restore(admin_ctx, trash_id(engine, "document", ids["documents"][0]))
    changes = take_committed(admin_ctx.session)
    assert changes.ids("document") == {ids["documents"][0]}
    assert changes.ids("document_version") == set(ids["versions"][:2])
    assert changes.ids(trash.ENTITY_TYPE)


def test_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    from gcmc_desktop.db import migrate

    migrate.downgrade(engine, "0014_scoring")
    with engine.connect() as c:
        assert c.execute(text("SELECT to_regclass('desktop_trash')")).scalar() is None
        assert (
            c.execute(
                text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'desktop__trash%'")
            ).scalar_one()
            == 0
        )
    migrate.upgrade(engine)
    assert count(engine, "SELECT count(*) FROM desktop_trash") == 0


@pytest.mark.parametrize(
    "payload",
    [
        '{"tables": [{"table": "audit_logs", "rows": [{"id": 1}]}]}',
        '{"tables": [{"table": "pg_authid", "rows": []}]}',
        '{"tables": [{"table": "clients", "rows": [{"id": 1, "x\\" = 1; --": 2}]}]}',
        '{"tables": [{"table": "clients", "rows": "nope"}]}',
        '{"tables": [], "relinks": [{"table": "tasks", "column": "nope", "rows": []}]}',
        "{}",
        "[]",
        "null",
    ],
)
def test_a_hand_written_damaged_payload_is_refused_clearly(
    engine: Engine, firms: Firms, admin_ctx: Context, payload: str
) -> None:
    url = firms.user_url(firms.emails["FirmAdmin"])
    with connect(url) as conn:
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        item = conn.execute(
            'INSERT INTO desktop_trash ("tenantId", "entityType", "entityId", label, payload, '
            "\"deletedBy\") VALUES (%s, 'client', 999, 'Forged', %s::jsonb, "
            "gcmc_current_user_id()) RETURNING id",
            (firms.alpha, payload),
        ).fetchone()[0]
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refused:
        trash.restore(admin_ctx, item)
    assert 'client "Forged" cannot be restored: what was kept of it is damaged' in (
        refused.value.message
    )
    assert snapshot(engine) == before


# -------------------------------------------------------------- a client delete itself


def test_a_task_linking_client_filing_and_request_does_not_block_the_delete(
    engine: Engine, firms: Firms, admin_ctx: Context
) -> None:
    ids = build_client(engine, firms.alpha)
    with engine.begin() as c:
        task = c.execute(
            text(
                'INSERT INTO tasks ("tenantId", "clientId", "filingId", "serviceRequestId", '
                "title, status, \"updatedAt\") VALUES (:t, :c, :f, :r, 'All three', 'open', "
                "now()) RETURNING id"
            ),
            {"t": firms.alpha, "c": ids["client"], "f": ids["filings"][0], "r": ids["request"]},
        ).scalar_one()
    clients.delete_client(admin_ctx, ids["client"])
    admin_ctx.session.commit()
    with engine.connect() as c:
        assert (
            c.execute(
                text("SELECT count(*) FROM clients WHERE id = :c"), {"c": ids["client"]}
            ).scalar_one()
            == 0
        )
        row = c.execute(
            text('SELECT "clientId", "filingId", "serviceRequestId" FROM tasks WHERE id = :t'),
            {"t": task},
        ).one_or_none()
        changes = (
            c.execute(
                text(
                    "SELECT changes FROM audit_logs WHERE \"entityType\" = 'task' "
                    "AND \"entityId\" = :t AND action = 'update' ORDER BY id"
                ),
                {"t": task},
            )
            .scalars()
            .all()
        )
    assert tuple(row) == (None, None, None)
    # One audit row per link cleared, each saying exactly that link went to NULL; none for
    # pairings of one update's old row with another's new row.
    cleared = {key: change for row in changes for key, change in row.items()}
    assert len(changes) == 3
    assert all(len(row) == 1 for row in changes)
    assert cleared == {
        "client_id": [ids["client"], None],
        "filing_id": [ids["filings"][0], None],
        "service_request_id": [ids["request"], None],
    }
