"""Reminders and the inbox on real PostgreSQL, run as signed-in staff (issue 15): each
threshold (filings 7/1 days and overdue, documents 60/30/7 days and expired, tasks due and
overdue, requests waiting on the client 7 days), recipients (the assignee, else the managers
and admins), never twice (a second run, and two runs at once from two workstations), read
state, another firm's user seeing and touching nothing, attacks on the generator by hand, and
`gcmc notifications generate`."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Engine, select, text

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import (
    Client,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    Notification,
    Service,
    ServiceRequest,
    Task,
    User,
)
from gcmc_desktop.services import auth, notifications
from gcmc_desktop.services.context import Context

from .security_fixtures import PASSWORD, Firms, build_firms
from .security_fixtures import raw as connect

ROLES = ("FirmAdmin", "ComplianceManager", "ComplianceOfficer")
FIRM_TZ = ZoneInfo("America/Guyana")
UTC = ZoneInfo("UTC")


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def sign_in(firms: Firms, role: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


def beta_boss(firms: Firms) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, "boss@beta.gy", PASSWORD))


def today() -> date:
    return datetime.now(FIRM_TZ).date()


def utc_at(day: date, at: time) -> datetime:
    """A local time of the firm's day as the database's naive UTC."""
    return datetime.combine(day, at, FIRM_TZ).astimezone(UTC).replace(tzinfo=None)


def user_ids(engine: Engine) -> dict[str, str]:
    with session_factory(engine)() as s:
        return {e: i for e, i in s.execute(select(User.email, User.id))}


class World:
    """Alpha's subjects, each named by what it should produce."""

    def __init__(self, engine: Engine, firms: Firms) -> None:
        self.engine = engine
        self.firms = firms
        self.users = user_ids(engine)
        officer = firms.emails.get("ComplianceOfficer")
        self.officer = self.users[officer] if officer else None
        self.managers = {
            self.users[firms.emails[role]]
            for role in ("FirmAdmin", "ComplianceManager")
            if role in firms.emails
        }
        self.ids: dict[str, int] = {}
        with session_factory(engine)() as s:
            t = firms.alpha
            self.ftype = FilingType(
                tenant_id=t, name="VAT return", code="VAT", authority="GRA", frequency="monthly"
            )
            self.dtype = DocumentType(tenant_id=t, name="Trade licence", category="permit_license")
            service = Service(tenant_id=t, name="Work permit", category="Immigration")
            s.add_all([self.ftype, self.dtype, service])
            s.flush()
            self.ftype_id, self.dtype_id, self.service_id = self.ftype.id, self.dtype.id, service.id
            s.commit()

    def filing(self, key: str, days: int, status: str = "draft") -> int:
        with session_factory(self.engine)() as s:
            f = Filing(
                tenant_id=self.firms.alpha,
                client_id=self.firms.alpha_client,
                filing_type_id=self.ftype_id,
                period_start=datetime(2026, 1, 1),
                period_end=datetime(2026, 1, 31),
                period_label=key,
                status=status,
            )
            s.add(f)
            s.flush()
            s.execute(
                text('UPDATE desktop_filing_due_dates SET "dueDate" = :d WHERE "filingId" = :f'),
                {"d": today() + timedelta(days=days), "f": f.id},
            )
            s.commit()
            self.ids[key] = f.id
            return f.id

    def due_in(self, filing_id: int, days: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text('UPDATE desktop_filing_due_dates SET "dueDate" = :d WHERE "filingId" = :f'),
                {"d": today() + timedelta(days=days), "f": filing_id},
            )

    def document(self, key: str, days: int, status: str = "valid") -> int:
        with session_factory(self.engine)() as s:
            d = Document(
                tenant_id=self.firms.alpha,
                client_id=self.firms.alpha_client,
                document_type_id=self.dtype_id,
                title=key,
                status=status,
            )
            v = DocumentVersion(
                document=d,
                file_url="k",
                storage_provider="local",
                is_latest=True,
                expiry_date=utc_at(today() + timedelta(days=days), time(12)),
            )
            d.latest_version = v
            s.add_all([d, v])
            s.commit()
            self.ids[key] = d.id
            return d.id

    def task(
        self, key: str, days: int, assignee: str | None = None, status: str = "open", **links
    ) -> int:
        with session_factory(self.engine)() as s:
            task = Task(
                tenant_id=self.firms.alpha,
                title=key,
                status=status,
                priority="medium",
                due_date=utc_at(today() + timedelta(days=days), time(23, 59, 59)),
                assigned_to_id=assignee,
                **links,
            )
            s.add(task)
            s.commit()
            self.ids[key] = task.id
            return task.id

    def request(
        self, key: str, waiting_days: int, status: str = "awaiting_client", assignee=None
    ) -> int:
        with session_factory(self.engine)() as s:
            r = ServiceRequest(
                tenant_id=self.firms.alpha,
                client_id=self.firms.alpha_client,
                service_id=self.service_id,
                status=status,
                priority="medium",
                meta={"assignedToId": assignee} if assignee else None,
            )
            s.add(r)
            s.commit()
            s.execute(
                text('UPDATE service_requests SET "updatedAt" = :u WHERE id = :i'),
                {"u": datetime.now(UTC).replace(tzinfo=None) - timedelta(days=waiting_days),
                 "i": r.id},
            )  # fmt: skip
            s.commit()
            self.ids[key] = r.id
            return r.id

    def made(self) -> set[tuple[str, str, str, str]]:
        """(kind, subject key, threshold, recipient) of every reminder of Alpha."""
        names = {(self._type(k), v): k for k, v in self.ids.items()}
        out = set()
        with session_factory(self.engine)() as s:
            for meta, recipient in s.execute(
                select(Notification.meta, Notification.recipient_user_id).where(
                    Notification.tenant_id == self.firms.alpha
                )
            ):
                key = names[(meta["subjectType"], meta["subjectId"])]
                out.add((meta["kind"], key, meta["threshold"].split(":")[0], recipient))
        return out

    def _type(self, key: str) -> str:
        return {"f": "filing", "d": "document", "t": "task", "r": "service_request"}[key[0]]


def expect(world: World, *items: tuple[str, str, str, str | None]) -> set:
    """Items with recipient None go to every manager."""
    out = set()
    for kind, key, threshold, recipient in items:
        for who in [recipient] if recipient else sorted(world.managers):
            out.add((kind, key, threshold, who))
    return out


def test_thresholds_recipients_and_never_twice(engine: Engine, firms: Firms) -> None:
    w = World(engine, firms)
    w.filing("f_in5", 5)
    w.filing("f_tomorrow", 1)
    w.filing("f_today", 0)
    w.filing("f_late", -3)
    w.filing("f_in10", 10)  # too early
    w.filing("f_ancient", -40)  # beyond the 30-day look-back
    w.filing("f_filed", -2, status="submitted")  # not open
    officed = w.filing("f_tasked", 4)  # its task's assignee gets it, not the managers
    w.task("t_on_filing", 20, assignee=w.officer, filing_id=officed)
    w.document("d_in45", 45)
    w.document("d_in20", 20)
    w.document("d_in3", 3)
    w.document("d_gone", -2)
    w.document("d_in90", 90)  # too early
    w.document("d_rejected", 3, status="rejected")
    w.task("t_tomorrow", 1, assignee=w.officer)
    w.task("t_late", -1)  # nobody's: the managers
    w.task("t_in5", 5, assignee=w.officer)  # too early
    w.task("t_done", -1, status="completed")
    w.request("r_waiting", 8, assignee=w.officer)
    w.request("r_nobody", 9)
    w.request("r_recent", 2)  # not 7 days yet
    w.request("r_working", 10, status="in_progress")

    officer = sign_in(firms, "ComplianceOfficer")  # may not read documents: made all the same
    try:
        report = notifications.generate_reminders(officer)
        assert report.created == len(w.made())
        assert w.made() == expect(
            w,
            ("filing_due", "f_in5", "7d", None),
            ("filing_due", "f_tomorrow", "1d", None),
            ("filing_due", "f_today", "1d", None),
            ("filing_overdue", "f_late", "overdue", None),
            ("filing_due", "f_tasked", "7d", w.officer),
            ("document_expiring", "d_in45", "60d", None),
            ("document_expiring", "d_in20", "30d", None),
            ("document_expiring", "d_in3", "7d", None),
            ("document_expired", "d_gone", "expired", None),
            ("task_due", "t_tomorrow", "due", w.officer),
            ("task_overdue", "t_late", "overdue", None),
            ("request_waiting", "r_waiting", "waiting_7d", w.officer),
            ("request_waiting", "r_nobody", "waiting_7d", None),
        )
        assert report.kinds["filing_due"] == 2 * 3 + 1
        # The rows are the platform's: in-app, already sent; the words say what and when.
        with session_factory(engine)() as s:
            row = s.scalars(
                select(Notification).where(
                    Notification.meta["subjectId"].astext == str(w.ids["f_late"]),
                    Notification.meta["subjectType"].astext == "filing",
                )
            ).first()
            assert (row.type, row.channel_status) == ("in_app", "sent")
            assert row.message.startswith("VAT return – f_late for Alpha Client was due on ")
            assert row.meta["clientId"] == firms.alpha_client
            tomorrow = s.scalars(
                select(Notification.message).where(
                    Notification.meta["subjectId"].astext == str(w.ids["f_tomorrow"]),
                    Notification.meta["subjectType"].astext == "filing",
                )
            ).first()
            assert "is due tomorrow (" in tomorrow

        # Never twice: a second run makes nothing.
        again = notifications.generate_reminders(officer)
        assert again.created == 0 and again.summary() == "No new reminders."
        # A subject moving on to the next threshold gets that one, once.
        before = w.made()
        w.due_in(w.ids["f_in5"], 1)
        assert notifications.generate_reminders(officer).created == 2
        assert w.made() - before == expect(w, ("filing_due", "f_in5", "1d", None))
        w.due_in(w.ids["f_in5"], 5)  # moved back: its 7-day reminder was made already
        assert notifications.generate_reminders(officer).created == 0
        # A deleted reminder is not made again.
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM notifications WHERE \"tenantId\" = :t"),
                         {"t": firms.alpha})  # fmt: skip
        assert notifications.generate_reminders(officer).created == 0
    finally:
        officer.session.close()


def test_two_workstations_at_once_make_each_reminder_once(engine: Engine, firms: Firms) -> None:
    w = World(engine, firms)
    for n in range(20):
        w.filing(f"f{n}", n % 8)
        w.document(f"d{n}", n * 3 - 5)
    first = connect(firms.user_url(firms.emails["ComplianceOfficer"]))
    second = connect(firms.user_url(firms.emails["ComplianceManager"]))
    try:
        for conn in (first, second):
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        # The first run holds its transaction open; the second starts meanwhile and waits on
        # the keys the first wrote, then finds them taken.
        first.execute("BEGIN")
        made_first = first.execute(
            "SELECT id FROM desktop_generate_reminders(%s)", (firms.alpha,)
        ).fetchall()
        assert made_first
        results: dict[str, list] = {}
        started = threading.Event()

        def run_second() -> None:
            started.set()
            results["second"] = second.execute(
                "SELECT id FROM desktop_generate_reminders(%s)", (firms.alpha,)
            ).fetchall()

        thread = threading.Thread(target=run_second)
        thread.start()
        started.wait(5)
        thread.join(1.0)
        assert thread.is_alive(), "the second run should wait for the first one's keys"
        first.execute("COMMIT")
        thread.join(30)
        assert results["second"] == []
        # Two threads through the service, truly at once, on fresh subjects: still once each.
        for n in range(20, 40):
            w.filing(f"f{n}", n % 8)
        contexts = [sign_in(firms, "ComplianceOfficer"), sign_in(firms, "FirmAdmin")]
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def run(ctx: Context) -> None:
            barrier.wait()
            counts.append(notifications.generate_reminders(ctx).created)

        threads = [threading.Thread(target=run, args=(c,)) for c in contexts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for c in contexts:
            c.session.close()
        with engine.connect() as conn:
            total, distinct = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT (metadata->>'subjectType', "
                    "metadata->>'subjectId', metadata->>'threshold', \"recipientUserId\")) "
                    'FROM notifications WHERE "tenantId" = :t'
                ),
                {"t": firms.alpha},
            ).one()
        assert total == distinct == len(made_first) + sum(counts)
        assert sum(counts) == 20 * 2  # 20 filings × the two managers
    finally:
        first.close()
        second.close()


def test_inbox_read_state_and_unread_count(engine: Engine, firms: Firms) -> None:
    w = World(engine, firms)
    w.task("t_a", 0, assignee=w.officer)
    w.task("t_b", -2, assignee=w.officer)
    w.document("d_a", 10)  # the managers'
    officer = sign_in(firms, "ComplianceOfficer")
    manager = sign_in(firms, "ComplianceManager")
    try:
        notifications.generate_reminders(officer)
        assert notifications.unread_count(officer) == 2
        assert notifications.unread_count(manager) == 1
        query = notifications.inbox_query(officer)
        page = query.first_page(officer.session, 10)
        rows = page.dicts()
        assert [r["kind"] for r in rows] in (
            ["task_due", "task_overdue"],
            ["task_overdue", "task_due"],
        )
        assert all(r["client"] is None and r["read_at"] is None for r in rows)
        first = rows[0]["id"]
        # Mark one read: the count drops, the unread filter leaves it out.
        mine_and_theirs = [first, *(r["id"] for r in notifications.inbox_query(manager)
                                    .first_page(manager.session, 10).dicts())]  # fmt: skip
        assert notifications.mark_read(officer, [*mine_and_theirs, "x", None, -1]) == [first]
        assert notifications.unread_count(officer) == 1
        assert notifications.unread_count(manager) == 1  # someone else's is left alone
        query.set_filter(notifications.UNREAD, True)
        assert [r["id"] for r in query.first_page(officer.session, 10).dicts()] != [first]
        query.set_filter(notifications.UNREAD, False)
        read = query.first_page(officer.session, 10).dicts()
        assert [r["id"] for r in read] == [first] and read[0]["read_at"] is not None
        query.set_filter(notifications.UNREAD, None)
        query.set_filter("kind", "task_overdue")
        assert all(
            r["kind"] == "task_overdue" for r in query.first_page(officer.session, 10).dicts()
        )
        # Marking again changes nothing; all read; unread again.
        assert notifications.mark_read(officer, [first]) == []
        assert len(notifications.mark_all_read(officer)) == 1
        assert notifications.unread_count(officer) == 0
        assert notifications.mark_unread(officer, [first]) == [first]
        assert notifications.unread_count(officer) == 1
        assert [a.id for a in notifications.unread_among(officer, mine_and_theirs)] == [first]
        # What it is about, for opening it.
        subject = notifications.notification_subject(officer, first)
        assert subject.subject_type == "task"
        assert subject.subject_id in (w.ids["t_a"], w.ids["t_b"])
        manager_row = mine_and_theirs[-1]
        assert notifications.notification_subject(manager, manager_row).client_id == (
            firms.alpha_client
        )
        with pytest.raises(notifications.NotFoundError):
            notifications.notification_subject(officer, manager_row)
        # By hand: nobody marks another's notification read, nor reads as someone else.
        with connect(firms.user_url(firms.emails["ComplianceOfficer"])) as conn:
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
            for user in (w.officer, sorted(w.managers)[0]):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(
                        'INSERT INTO desktop_notification_reads ("notificationId", "userId") '
                        "VALUES (%s, %s)",
                        (manager_row, user),
                    )
            seen = conn.execute('SELECT "userId" FROM desktop_notification_reads').fetchall()
            assert {u for (u,) in seen} <= {w.officer}
            # Others' notifications (they name clients and documents) are not theirs to read.
            recipients = conn.execute('SELECT DISTINCT "recipientUserId" FROM notifications')
            assert {u for (u,) in recipients} == {w.officer}
        # A FirmAdmin (notifications:send) sees the firm's.
        with connect(firms.user_url(firms.emails["FirmAdmin"])) as conn:
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
            recipients = conn.execute('SELECT DISTINCT "recipientUserId" FROM notifications')
            assert {u for (u,) in recipients} == {w.officer, *w.managers}
    finally:
        officer.session.close()
        manager.session.close()


def test_another_firm_sees_and_touches_nothing(engine: Engine, firms: Firms) -> None:
    w = World(engine, firms)
    w.document("d_a", 5)
    w.task("t_a", -1, assignee=w.officer)
    officer = sign_in(firms, "ComplianceOfficer")
    boss = beta_boss(firms)
    try:
        assert notifications.generate_reminders(officer).created == 3
        alpha_ids = [
            r["id"]
            for r in notifications.inbox_query(officer).first_page(officer.session, 10).dicts()
        ]
        # Beta's boss: an empty inbox, nothing to mark, and Beta's own run makes nothing.
        assert notifications.unread_count(boss) == 0
        assert notifications.inbox_query(boss).first_page(boss.session, 10).dicts() == []
        assert notifications.mark_read(boss, alpha_ids) == []
        assert notifications.unread_among(boss, alpha_ids) == []
        assert notifications.generate_reminders(boss).created == 0
        # By hand as Beta's boss, signed in to Beta: Alpha's rows are invisible, and the
        # generator answers nothing for another firm, NULL, an unknown firm or junk.
        with connect(firms.user_url("boss@beta.gy")) as conn:
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
            for table in ("notifications", "desktop_notification_keys",
                          "desktop_notification_reads"):  # fmt: skip
                assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
            for tenant in (firms.alpha, None, 999_999, -1):
                rows = conn.execute(
                    "SELECT * FROM desktop_generate_reminders(%s)", (tenant,)
                ).fetchall()
                assert rows == []
            with pytest.raises(psycopg.errors.InvalidTextRepresentation):
                conn.execute("SELECT * FROM desktop_generate_reminders('1; DROP TABLE tasks')")
            # Claiming Alpha's firm without being its member: no firm at all.
            conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
            assert (
                conn.execute(
                    "SELECT * FROM desktop_generate_reminders(%s)", (firms.alpha,)
                ).fetchall()
                == []
            )
            assert conn.execute("SELECT count(*) FROM notifications").fetchone() == (0,)
            # Staff never write the keys themselves (they could block a reminder).
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    'INSERT INTO desktop_notification_keys ("tenantId", "subjectType", '
                    '"subjectId", threshold, "recipientUserId") VALUES (%s, \'task\', 1, '
                    "'due', %s)",
                    (firms.beta, boss.user_id),
                )
        # Alpha's notifications are as they were.
        assert notifications.unread_count(officer) == 1
    finally:
        officer.session.close()
        boss.session.close()


def test_cli_generate(engine: Engine, firms: Firms, database_url, capsys) -> None:
    from .test_cli_admin import run

    w = World(engine, firms)
    w.filing("f_a", 3)
    with session_factory(engine)() as s:
        s.add(Client(tenant_id=firms.beta, name="Other", type="company"))
        s.commit()
    assert run(database_url, "notifications", "generate", "--tenant", "alpha") == 0
    out = capsys.readouterr().out
    assert out.startswith("2 new reminder(s): 2 filing due.") and "(1 firm(s)" in out
    assert run(database_url, "notifications", "generate") == 0
    assert capsys.readouterr().out.startswith("No new reminders.")
    assert run(database_url, "notifications", "generate", "--tenant", "nope") == 1
    assert 'no tenant with code "nope"' in capsys.readouterr().err


def test_migration_downgrades_and_upgrades(engine: Engine) -> None:
    from gcmc_desktop.db import migrate

    def objects() -> set[str]:
        with engine.connect() as conn:
            return set(
                conn.scalars(
                    text(
                        "SELECT proname FROM pg_proc WHERE proname IN ("
                        "'desktop_generate_reminders', 'desktop__days_phrase', "
                        "'desktop__subject_words', 'desktop__reminder_message') "
                        "UNION SELECT relname FROM pg_class WHERE "
                        "relname LIKE 'desktop_notification%' "
                        "OR relname = 'desktop_notifications_inbox_idx'"
                    )
                )
            )

    names = {
        "desktop_generate_reminders", "desktop__days_phrase", "desktop__subject_words",
        "desktop__reminder_message",
        "desktop_notification_keys", "desktop_notification_keys_pkey",
        "desktop_notification_keys_notification_idx", "desktop_notification_reads",
        "desktop_notification_reads_pkey", "desktop_notifications_inbox_idx",
    }  # fmt: skip
    assert objects() == names
    migrate.downgrade(engine, "0014_scoring")
    assert objects() == set()
    migrate.upgrade(engine)
    assert objects() == names
