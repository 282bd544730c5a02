"""The scores list's requirement-bundle filter through an index (migration 0022): the bundles a
breakdown names (`desktop_score_bundles`, never failing on what another writer stored), the
SECURITY DEFINER `desktop_score_bundle_clients` attacked through the staff user's own
connection, and the list's filter giving the clients the old jsonb containment gave."""

from __future__ import annotations

import json

import psycopg
import pytest
from sqlalchemy import Engine, text

from gcmc_desktop.services import compliance_scores
from gcmc_desktop.services.compliance_scores import bundle_choices, rare_bundle, score_list_query

from .security_fixtures import Firms, build_firms
from .security_fixtures import raw as connect
from .test_compliance_scoring import ROLES, sign_in


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def item(bundle) -> dict:
    return {"points": -10, "kind": "bundle_item", "text": "x", "bundle_id": bundle}


def test_bundles_of_a_breakdown_never_fail(engine: Engine) -> None:
    cases = [
        (None, []),
        ({}, []),
        ({"items": None}, []),
        ({"items": "text"}, []),
        ({"items": {"bundle_id": 3}}, []),  # not a list
        ({"items": [1, "x", None, [2]]}, []),  # not objects
        ({"items": [item(5), item(5), item(2), item(None)]}, [2, 5]),
        ({"items": [item("5"), item(1.5), item(-3), item(10**12), item(7)]}, [7]),
        ({"bundles": [{"id": 1}]}, []),  # the platform wizard's placeholder
    ]
    with engine.connect() as conn:
        for breakdown, expected in cases:
            value = None if breakdown is None else json.dumps(breakdown)
            got = conn.scalar(text("SELECT desktop_score_bundles(CAST(:b AS jsonb))"), {"b": value})
            assert sorted(got) == expected, breakdown


@pytest.fixture
def scored(firms: Firms, engine: Engine) -> tuple[list[int], int, int]:
    """Alpha: 30 clients with scores, every third losing points for bundle A, every fifth for
    bundle B; Beta's client loses points for Beta's bundle."""
    with engine.begin() as conn:
        bundles = []
        for tenant, name in ((firms.alpha, "A"), (firms.alpha, "B"), (firms.beta, "C")):
            bundles.append(
                conn.scalar(
                    text(
                        "INSERT INTO requirement_bundles"
                        ' ("tenantId", name, authority, category, "updatedAt")'
                        " VALUES (:t, :n, 'GRA', 'tax', now()) RETURNING id"
                    ),
                    {"t": tenant, "n": name},
                )
            )
        a, b, c = bundles
        clients = [
            conn.scalar(
                text(
                    'INSERT INTO clients ("tenantId", name, type, "updatedAt")'
                    " VALUES (:t, :n, 'company', now()) RETURNING id"
                ),
                {"t": firms.alpha, "n": f"Client {n:02}"},
            )
            for n in range(30)
        ]
        rows = [(firms.alpha, cid, n) for n, cid in enumerate(clients)]
        rows.append((firms.beta, firms.beta_client, 0))
        for tenant, cid, n in rows:
            items = [{"points": -5, "kind": "document_missing", "text": "t", "bundle_id": None}]
            if tenant == firms.beta:
                items.append(item(c))
            else:
                if n % 3 == 0:
                    items.append(item(a))
                if n % 5 == 0:
                    items.append(item(b))
            conn.execute(
                text(
                    'INSERT INTO compliance_scores ("tenantId", "clientId", "scoreValue", level,'
                    ' "missingCount", "expiringCount", "overdueFilingsCount",'
                    " \"lastCalculatedAt\", breakdown) VALUES (:t, :c, :s, 'poor', 0, 0, 0,"
                    " now(), CAST(:b AS jsonb))"
                ),
                {"t": tenant, "c": cid, "s": float(n), "b": json.dumps({"items": items})},
            )
    return clients, a, b


def test_the_list_filters_by_bundle_either_way(firms: Firms, scored, engine: Engine) -> None:
    clients, a, b = scored
    ctx = sign_in(firms, "Viewer")
    compliance_scores._BUNDLE_SIZES.clear()
    try:
        for way in ("containment", "index"):
            if way == "index":  # the filter's choices count the bundles: both are rare here
                assert [i for _, i in bundle_choices(ctx)] == [a, b]
                ctx.session.rollback()
                assert compliance_scores._BUNDLE_SIZES[(firms.alpha, a)] == (10, 30)
                assert compliance_scores._BUNDLE_SIZES[(firms.alpha, b)] == (6, 30)
            by_a = score_list_query(ctx)
            by_a.set_filter("bundle_id", a)
            page = by_a.first_page(ctx.session, 100)
            ctx.session.rollback()
            assert page.ids == [c for n, c in enumerate(clients) if n % 3 == 0], way
            both = score_list_query(ctx)
            both.set_filter("bundle_id", b)
            both.set_filter("level", "poor")
            assert both.first_page(ctx.session, 100).ids == clients[::5], way
            ctx.session.rollback()
            for other in (firms_bundle_of_beta(engine, firms), a + 10_000, 2**31 - 1):
                query = score_list_query(ctx)
                query.set_filter("bundle_id", other)
                assert query.first_page(ctx.session, 100).rows == [], way
                ctx.session.rollback()
        for bad in ("x", 2**40):
            query = score_list_query(ctx)
            query.set_filter("bundle_id", bad)
            with pytest.raises(ValueError):
                query.first_page(ctx.session, 100)
            ctx.session.rollback()
    finally:
        compliance_scores._BUNDLE_SIZES.clear()
        ctx.session.close()


def test_rare_bundle_threshold() -> None:
    assert rare_bundle(100, 0) and rare_bundle(100, 100)
    assert rare_bundle(900, 100_000) and not rare_bundle(33_000, 100_000)
    assert not rare_bundle(1_000, 10_000) and rare_bundle(300, 10_000)


def firms_bundle_of_beta(engine: Engine, firms: Firms) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            text('SELECT id FROM requirement_bundles WHERE "tenantId" = :t'), {"t": firms.beta}
        )


def test_bundle_clients_attacked_as_staff(firms: Firms, scored, engine: Engine) -> None:
    clients, a, _b = scored
    beta_bundle = firms_bundle_of_beta(engine, firms)
    call = "SELECT array_agg(x ORDER BY x) FROM desktop_score_bundle_clients(%s, %s) x"
    with connect(firms.user_url(firms.emails["Viewer"])) as conn:
        assert conn.execute(call, (firms.alpha, a)).fetchone() == (None,)  # no firm chosen
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert conn.execute(call, (firms.alpha, a)).fetchone() == (clients[::3],)
        assert conn.execute(call, (firms.beta, beta_bundle)).fetchone() == (None,)  # not Beta's
        assert conn.execute(call, (firms.alpha, beta_bundle)).fetchone() == (None,)
        assert conn.execute(call, (None, a)).fetchone() == (None,)
        assert conn.execute(call, (firms.alpha, None)).fetchone() == (None,)
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute(call, (firms.beta, beta_bundle)).fetchone() == (None,)  # no member
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("SELECT * FROM desktop_score_bundle_clients(1, '1''; DROP TABLE x')")
        # Staff cannot replace the function the index is built on.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "CREATE OR REPLACE FUNCTION desktop_score_bundles(p jsonb) RETURNS integer[]"
                " LANGUAGE sql IMMUTABLE AS $$ SELECT '{}'::integer[] $$"
            )


def test_migration_0026_downgrades_and_upgrades(engine: Engine) -> None:
    from gcmc_desktop.db import migrate

    def present() -> tuple:
        with engine.connect() as conn:
            return (
                conn.scalar(text("SELECT to_regclass('desktop_compliance_scores_bundles_idx')")),
                conn.scalar(text("SELECT to_regproc('desktop_score_bundle_clients')")),
                conn.scalar(text("SELECT to_regproc('desktop_score_bundles')")),
            )

    migrate.downgrade(engine, "0025_offline")
    assert present() == (None, None, None)
    migrate.upgrade(engine)
    assert None not in present()
