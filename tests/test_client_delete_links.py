"""Deleting a client whose task links the client, one of its filings and one of its requests
(the platform's three SET NULL references meet in one row): the delete goes through, the task
stays with its links cleared, and the audit trail records it."""

from __future__ import annotations

from sqlalchemy import Engine, text

from gcmc_desktop.services import clients

from .test_trash import admin_ctx, build_client, firms  # noqa: F401  (fixtures)


def test_a_task_linking_client_filing_and_request_does_not_block_the_delete(
    engine: Engine,
    firms,
    admin_ctx,  # noqa: F811
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
