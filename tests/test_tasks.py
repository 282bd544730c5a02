"""Staff tasks and client tasks on real PostgreSQL as signed-in staff (issue 13): assignment
(members only, another firm's user refused by the service and by the database, others only
with tasks:assign), status transitions, links of one client and firm, the overdue filter and
the My tasks / Team lists, client tasks' completedAt, and each role's permissions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import Engine, select

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import (
    Client,
    ClientTask,
    Filing,
    FilingType,
    Service,
    ServiceRequest,
    Task,
    User,
    utcnow,
)
from gcmc_desktop.services import auth, client_tasks, tasks
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import PermissionDenied, ValidationError

from .security_fixtures import PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect

ROLES = ("FirmAdmin", "Admin", "Viewer", "ComplianceOfficer")


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


@pytest.fixture
def solo(engine: Engine, database_url) -> Firms:
    """Alpha with its FirmAdmin alone (each staff user costs a password hash or two)."""
    return build_firms(engine, database_url, ("FirmAdmin",))


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


def make_world(engine: Engine, firms: Firms) -> dict[str, int | str]:
    """Alpha: a second client, a filing and a service request of Alpha Client; Beta: a filing
    and a request of Beta Client; everyone's user ids."""
    with session_factory(engine)() as s:
        ids: dict[str, int | str] = {}
        other = Client(tenant_id=firms.alpha, name="Other Client", type="company")
        s.add(other)
        for tenant, client, key in (
            (firms.alpha, firms.alpha_client, "alpha"),
            (firms.beta, firms.beta_client, "beta"),
        ):
            ftype = FilingType(
                tenant_id=tenant, name="VAT", code="VAT", authority="GRA", frequency="monthly"
            )
            service = Service(tenant_id=tenant, name="Company incorporation", category="Reg")
            s.add_all([ftype, service])
            s.flush()
            filing = Filing(
                tenant_id=tenant,
                client_id=client,
                filing_type_id=ftype.id,
                period_start=datetime(2024, 1, 1),
                period_end=datetime(2024, 1, 31),
                period_label="January 2024",
                status="draft",
            )
            request = ServiceRequest(
                tenant_id=tenant, client_id=client, service_id=service.id, status="new"
            )
            s.add_all([filing, request])
            s.flush()
            ids[f"{key}_filing"], ids[f"{key}_request"] = filing.id, request.id
        s.commit()
        ids["other_client"] = other.id
        for email, uid in s.execute(select(User.email, User.id)):
            ids[email] = uid
    return ids


def test_assignment_and_permissions_per_role(engine: Engine, firms: Firms) -> None:
    world = make_world(engine, firms)
    boss = sign_in(firms, "FirmAdmin")
    admin = sign_in(firms, "Admin")
    viewer_id = world[firms.emails["Viewer"]]
    beta_boss = world["boss@beta.gy"]
    try:
        # FirmAdmin holds tasks:assign: gives a task to a member; the default status is open.
        given = tasks.create_task(boss, {"title": "Call GRA", "assigned_to_id": viewer_id})
        assert (given["status"], given["assigned_to_id"]) == ("open", viewer_id)
        # Another firm's user, or no user at all: refused on the field, nothing written.
        for stranger in (beta_boss, "no-such-user", "x'; DROP TABLE tasks; --"):
            with pytest.raises(ValidationError) as caught:
                tasks.create_task(boss, {"title": "Leak", "assigned_to_id": stranger})
            assert caught.value.field_errors == {"assigned_to_id": "Choose a member of this firm."}
        # Admin (vced, no assign): may take a task and give back their own, not assign others.
        mine = tasks.create_task(admin, {"title": "Mine", "assigned_to_id": admin.user_id})
        with pytest.raises(PermissionDenied) as denied:
            tasks.create_task(admin, {"title": "Yours", "assigned_to_id": viewer_id})
        assert "only to yourself" in denied.value.message
        with pytest.raises(PermissionDenied):
            tasks.assign_task(admin, given["id"], None, given["updated_at"])
        taken = tasks.assign_task(admin, given["id"], admin.user_id, given["updated_at"])
        assert taken["assigned_to_id"] == admin.user_id
        returned = tasks.assign_task(admin, mine["id"], None, mine["updated_at"])
        assert returned["assigned_to_id"] is None
        with pytest.raises(PermissionDenied):
            tasks.assign_task(admin, mine["id"], viewer_id, returned["updated_at"])
        # The database is the last gate: by hand, as the FirmAdmin's own login, another firm's
        # user is a foreign-key error (same as a user that does not exist).
        with connect(firms.user_url(firms.emails["FirmAdmin"])) as conn:
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
            for bad in (beta_boss, "nobody"):
                with pytest.raises(psycopg.errors.ForeignKeyViolation):
                    conn.execute(
                        'UPDATE tasks SET "assignedToId" = %s WHERE id = %s', (bad, given["id"])
                    )
            assert conn.execute(
                'SELECT "assignedToId" FROM tasks WHERE id = %s', (given["id"],)
            ).fetchone() == (admin.user_id,)
        assert [label for label, _ in tasks.member_choices(boss)] == sorted(
            f"{role} User" for role in ROLES
        )

        # Permissions per role (DOMAIN.md §1).
        with session_factory(engine)() as s:
            s.add(Task(tenant_id=firms.beta, title="Beta secret", status="open"))
            s.add(ClientTask(tenant_id=firms.alpha, client_id=firms.alpha_client, title="Sign",
                             status="pending"))  # fmt: skip
            s.commit()
        viewer = sign_in(firms, "Viewer")
        officer = sign_in(firms, "ComplianceOfficer")
        # Viewer: sees the firm's tasks (never Beta's), changes nothing.
        with viewer.reading() as session:
            seen = tasks.task_list_query(viewer).first_page(session, 10).dicts()
        assert sorted(r["title"] for r in seen) == ["Call GRA", "Mine"]
        for call in (
            lambda: tasks.create_task(viewer, {"title": "No"}),
            lambda: tasks.update_task(viewer, given["id"], {"title": "No"}, None),
            lambda: tasks.delete_task(viewer, given["id"]),
            lambda: client_tasks.create_client_task(
                viewer, {"client_id": firms.alpha_client, "title": "No"}
            ),
            # ComplianceOfficer: no tasks permission at all.
            lambda: tasks.task_list_query(officer),
            lambda: tasks.get_task(officer, given["id"]),
            lambda: client_tasks.client_task_list_query(officer),
        ):
            with pytest.raises(PermissionDenied):
                call()
        # Admin: edit and delete too.
        tasks.update_task(admin, mine["id"], {"priority": "urgent"}, None)
        tasks.delete_task(admin, mine["id"])
        assert [r["title"] for r in client_tasks_of(admin, firms.alpha_client)] == ["Sign"]
        viewer.session.close()
        officer.session.close()
    finally:
        boss.session.close()
        admin.session.close()


def client_tasks_of(ctx: Context, client_id: int) -> list[dict]:
    query = client_tasks.client_task_list_query(ctx, client_id=client_id)
    with ctx.reading() as session:
        return query.first_page(session, 10).dicts()


def test_transitions_links_and_overdue_lists(engine: Engine, solo: Firms) -> None:
    firms, world = solo, make_world(engine, solo)
    boss = sign_in(firms, "FirmAdmin")
    try:
        task = tasks.create_task(boss, {"title": "Prepare VAT", "filing_id": world["alpha_filing"]})
        # The client comes from the linked filing.
        assert task["client_id"] == firms.alpha_client
        with pytest.raises(ValidationError) as caught:
            tasks.change_status(boss, task["id"], "completed", task["updated_at"])
        assert caught.value.field_errors["status"] == (
            'A task that is "Open" can only become: In progress.'
        )
        at = task["updated_at"]
        for status in ("in_progress", "blocked", "in_progress", "completed"):
            at = tasks.change_status(boss, task["id"], status, at)["updated_at"]
        with pytest.raises(ValidationError) as caught:
            tasks.change_status(boss, task["id"], "open", at)
        assert "can only become: nothing: it is final" in caught.value.field_errors["status"]
        with pytest.raises(ValidationError) as caught:
            tasks.create_task(boss, {"title": "x", "status": "done", "priority": "asap"})
        assert set(caught.value.field_errors) == {"status", "priority"}

        # Links: another client's filing or request, another firm's, or none at all.
        bad_links = (
            ({"client_id": world["other_client"], "filing_id": world["alpha_filing"]}, "filing_id",
             "Choose one of this client's filings."),
            ({"client_id": world["other_client"], "service_request_id": world["alpha_request"]},
             "service_request_id", "Choose one of this client's service requests."),
            ({"filing_id": world["beta_filing"]}, "filing_id",
             "The selected filing does not exist."),
            ({"service_request_id": world["beta_request"]}, "service_request_id",
             "The selected service request does not exist."),
            ({"client_id": firms.beta_client}, "client_id", "The selected client does not exist."),
        )  # fmt: skip
        for data, key, message in bad_links:
            with pytest.raises(ValidationError) as caught:
                tasks.create_task(boss, {"title": "Link", **data})
            assert caught.value.field_errors == {key: message}
        linked = tasks.create_task(
            boss,
            {
                "title": "Incorporate",
                "client_id": firms.alpha_client,
                "service_request_id": world["alpha_request"],
                "filing_id": world["alpha_filing"],
            },
        )
        # Moving it to another client keeps the links honest.
        with pytest.raises(ValidationError) as caught:
            tasks.update_task(
                boss, linked["id"], {"client_id": world["other_client"]}, linked["updated_at"]
            )
        assert set(caught.value.field_errors) == {"service_request_id"}
        assert tasks.request_choices(boss, firms.alpha_client)[0][1] == world["alpha_request"]
        assert tasks.filing_choices(boss, firms.alpha_client) == [
            ("VAT – January 2024", world["alpha_filing"])
        ]

        # Overdue: open or in progress with the due date past. A calendar day is due at its
        # end, so a task due today is not overdue yet.
        yesterday, today = date.today() - timedelta(days=1), date.today()
        late = tasks.create_task(
            boss, {"title": "Late", "due_date": yesterday, "assigned_to_id": boss.user_id}
        )
        tasks.create_task(boss, {"title": "Today", "due_date": today.isoformat()})
        blocked = tasks.create_task(
            boss, {"title": "Blocked late", "due_date": yesterday, "status": "blocked"}
        )
        assert late["due_date"] > datetime.combine(yesterday, datetime.min.time())
        assert tasks.get_task(boss, late["id"])["overdue"] is True
        assert tasks.get_task(boss, blocked["id"])["overdue"] is False

        def titles(query, **filters) -> list[str]:
            for key, value in filters.items():
                query.set_filter(key, value)
            with boss.reading() as session:
                return [row["title"] for row in query.first_page(session, 50).dicts()]

        assert titles(tasks.task_list_query(boss), overdue=True) == ["Late"]
        assert "Late" not in titles(tasks.task_list_query(boss), overdue=False)
        assert titles(tasks.task_list_query(boss, mine=True)) == ["Late"]
        team = titles(tasks.task_list_query(boss))
        assert team[0] == "Late" and len(team) == 5  # by due date; undated ones last
        assert titles(tasks.task_list_query(boss), status="completed") == ["Prepare VAT"]
        query = tasks.task_list_query(boss, client_id=firms.alpha_client)
        query.set_search("incorp")
        assert titles(query) == ["Incorporate"]
        query = tasks.task_list_query(boss)
        query.set_search("alpha client")
        assert set(titles(query)) == {"Prepare VAT", "Incorporate"}
        assert tasks.task_client_choices(boss) == [("Alpha Client", firms.alpha_client)]
    finally:
        boss.session.close()


def test_client_tasks_completion_and_links(engine: Engine, solo: Firms) -> None:
    firms, world = solo, make_world(engine, solo)
    boss = sign_in(firms, "FirmAdmin")
    try:
        made = client_tasks.create_client_task(
            boss,
            {
                "client_id": firms.alpha_client,
                "service_request_id": world["alpha_request"],
                "title": "Bring the passport",
                "due_date": date.today() - timedelta(days=2),
            },
        )
        assert (made["status"], made["completed_at"]) == ("pending", None)
        assert client_tasks.is_overdue(made["status"], made["due_date"])
        done = client_tasks.update_client_task(
            boss, made["id"], {"status": "completed"}, made["updated_at"]
        )
        assert done["completed_at"] is not None
        assert abs(done["completed_at"] - utcnow()) < timedelta(minutes=1)
        edited = client_tasks.update_client_task(
            boss, made["id"], {"title": "Bring both passports"}, done["updated_at"]
        )
        assert edited["completed_at"] == done["completed_at"]  # still completed: kept
        reopened = client_tasks.update_client_task(
            boss, made["id"], {"status": "in_progress"}, edited["updated_at"]
        )
        assert reopened["completed_at"] is None
        recorded = client_tasks.create_client_task(
            boss, {"client_id": firms.alpha_client, "title": "Signed", "status": "completed"}
        )
        assert recorded["completed_at"] is not None
        for data, key in (
            ({"client_id": world["other_client"], "service_request_id": world["alpha_request"]},
             "service_request_id"),
            ({"client_id": firms.alpha_client, "service_request_id": world["beta_request"]},
             "service_request_id"),
            ({"client_id": firms.beta_client}, "client_id"),
            ({}, "client_id"),
            ({"client_id": firms.alpha_client, "status": "lost"}, "status"),
        ):  # fmt: skip
            with pytest.raises(ValidationError) as caught:
                client_tasks.create_client_task(boss, {"title": "x", **data})
            assert set(caught.value.field_errors) == {key}
        query = client_tasks.client_task_list_query(boss, client_id=firms.alpha_client)
        with boss.reading() as session:
            rows = query.first_page(session, 10).dicts()
        assert [(r["title"], r["request"], r["status"]) for r in rows] == [
            ("Bring both passports", "Company incorporation", "in_progress"),
            ("Signed", None, "completed"),
        ]
    finally:
        boss.session.close()
