"""The deadlines calendar (issue 12) on real PostgreSQL, signed in as staff users with their own
PostgreSQL roles: open filings counted per due day (another firm's, closed ones and days outside
the range not counted), by authority and by assignee (a task on the filing), the permissions
the counts need; and the calendar page: counts painted in their days, overdue days, clicking or
moving to a day lists its filings, Enter goes to the list, the authority filter, the month
agenda, refresh on the change bus."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QTableView
from sqlalchemy import Engine

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Filing, FilingType, Task
from gcmc_desktop.services import auth, deadlines, filing_types, filings
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.deadlines import agenda_query, assignee_choices, due_counts
from gcmc_desktop.services.errors import PermissionDenied, ValidationError
from gcmc_desktop.services.filings import period_for
from gcmc_desktop.views.deadlines import DeadlinesPage
from gcmc_desktop.views.kit.operations import run_operation
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

WAIT = 10_000
ROLES = ("FirmAdmin", "FilingClerk", "DocumentOfficer")
# Dates of the test data (due dates in January to March 2024); "today" of the calendar page.
FIRST, LAST = date(2023, 12, 25), date(2024, 4, 30)
TODAY = date(2024, 2, 16)


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ROLES)
    drain()


@pytest.fixture
def contexts(firms: Firms) -> Iterator[dict[str, Context]]:
    opened: dict[str, Context] = {}
    for role in ROLES:
        opened[role] = auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))
    yield opened
    drain()
    for ctx in opened.values():
        auth.sign_out(ctx)


class Data:
    """Alpha's filings: VAT (GRA, due the 21st) and NIS (due the 14th) for several months,
    one of them submitted; Beta's filing due on one of the same days."""

    def __init__(self, ctx: Context, firms: Firms, engine: Engine) -> None:
        self.vat = filing_types.create_filing_type(
            ctx,
            {"name": "VAT return", "code": "VAT", "authority": "GRA", "frequency": "monthly",
             "default_due_day": 21},
        )["id"]  # fmt: skip
        self.nis = filing_types.create_filing_type(
            ctx,
            {"name": "NIS schedule", "code": "NIS", "authority": "NIS", "frequency": "monthly",
             "default_due_day": 14},
        )["id"]  # fmt: skip
        self.due: dict[int, date] = {}  # open filing id -> its stored due date
        self.authority: dict[int, str] = {}
        plan = [
            (self.vat, 12, 2023),  # due 22 Jan 2024 (the 21st is a Sunday)
            (self.vat, 1, 2024),  # due 21 Feb 2024
            (self.vat, 1, 2024),  # the same day again (another return)
            (self.nis, 1, 2024),  # due 14 Feb 2024
            (self.vat, 2, 2024),  # due 21 Mar 2024
            (self.nis, 2, 2024),  # due 14 Mar 2024
        ]
        for type_id, month, year in plan:
            filing = filings.create_filing(
                ctx,
                {"client_id": firms.alpha_client, "filing_type_id": type_id},
                period=period_for("month", year, month),
            )
            self.due[filing["id"]] = filings.stored_due_date(ctx, filing["id"])
            self.authority[filing["id"]] = "GRA" if type_id == self.vat else "NIS"
        # Filed already: not counted.
        self.submitted = filings.create_filing(
            ctx,
            {"client_id": firms.alpha_client, "filing_type_id": self.vat, "status": "submitted",
             "submission_date": date(2024, 2, 10), "reference_number": "GRA-1"},
            period=period_for("month", 2024, 1),
        )["id"]  # fmt: skip
        self.feb21 = filings.stored_due_date(ctx, self.submitted)
        # Another firm's filing due on the same day as two of Alpha's.
        with session_factory(engine)() as session:
            beta_type = FilingType(
                tenant_id=firms.beta, name="VAT", code="VAT", authority="GRA",
                frequency="monthly", default_due_day=21,
            )  # fmt: skip
            session.add(beta_type)
            session.flush()
            beta = Filing(
                tenant_id=firms.beta, client_id=firms.beta_client, filing_type_id=beta_type.id,
                status="draft", period_start=date(2024, 1, 1), period_end=date(2024, 1, 31),
                period_label="January 2024",
            )  # fmt: skip
            session.add(beta)
            session.commit()
            self.beta_filing = beta.id

    def expected(self, authority: str | None = None) -> dict[date, int]:
        return dict(
            Counter(d for fid, d in self.due.items() if authority in (None, self.authority[fid]))
        )

    def on(self, day: date, authority: str | None = None) -> set[int]:
        return {
            fid
            for fid, d in self.due.items()
            if d == day and authority in (None, self.authority[fid])
        }


@pytest.fixture
def data(contexts: dict[str, Context], firms: Firms, engine: Engine) -> Data:
    return Data(contexts["FirmAdmin"], firms, engine)


def all_ids(ctx: Context, query) -> set[int]:
    return set(query.first_page(ctx.session, 500).ids)


# ---------------------------------------------------------------------------------- service


def test_counts_open_filings_per_due_day_of_the_firm_only(data: Data, contexts) -> None:
    admin = contexts["FirmAdmin"]
    counts = due_counts(admin, FIRST, LAST)
    assert counts == data.expected()
    assert data.feb21 == date(2024, 2, 21)
    # Two open VAT returns due that day; the submitted one and Beta's (same day) not counted.
    assert counts[date(2024, 2, 21)] == 2
    assert counts[date(2024, 1, 22)] == 1  # the 21st was a Sunday
    assert sum(counts.values()) == len(data.due)
    # The clerk (filings:view, not tasks) sees the same counts.
    assert due_counts(contexts["FilingClerk"], FIRST, LAST) == counts


def test_counts_keep_to_the_range_and_the_authority(data: Data, contexts) -> None:
    admin = contexts["FirmAdmin"]
    assert due_counts(admin, date(2024, 2, 1), date(2024, 2, 29)) == {
        d: n for d, n in data.expected().items() if d.month == 2 and d.year == 2024
    }
    assert due_counts(admin, date(2024, 2, 21), date(2024, 2, 21)) == {date(2024, 2, 21): 2}
    assert due_counts(admin, FIRST, LAST, authority="NIS") == data.expected("NIS")
    assert set(due_counts(admin, FIRST, LAST, authority="NIS")) == {
        date(2024, 2, 14),
        date(2024, 3, 14),
    }
    assert due_counts(admin, FIRST, LAST, authority="DCRA") == {}
    with pytest.raises(ValidationError):
        due_counts(admin, date(2024, 2, 2), date(2024, 2, 1))
    with pytest.raises(ValidationError):
        due_counts(admin, date(2020, 1, 1), date(2024, 1, 1))


def test_counts_need_filings_view_and_assignees_need_tasks_view(data: Data, contexts) -> None:
    with pytest.raises(PermissionDenied):
        due_counts(contexts["DocumentOfficer"], FIRST, LAST)
    clerk = contexts["FilingClerk"]
    with pytest.raises(PermissionDenied):
        due_counts(clerk, FIRST, LAST, assignee_id=clerk.user_id)
    with pytest.raises(PermissionDenied):
        assignee_choices(clerk)
    query = agenda_query(clerk, {"assignee_id": clerk.user_id})
    with pytest.raises(PermissionDenied):
        query.first_page(clerk.session, 10)


def test_assignee_is_who_has_an_unfinished_task_on_the_filing(
    data: Data, contexts, firms: Firms, engine: Engine
) -> None:
    admin, clerk = contexts["FirmAdmin"], contexts["FilingClerk"]
    feb21 = sorted(data.on(date(2024, 2, 21)))
    nis_feb = next(iter(data.on(date(2024, 2, 14))))
    with session_factory(engine)() as session:
        session.add_all(
            [
                Task(tenant_id=firms.alpha, filing_id=feb21[0], title="Prepare VAT",
                     status="in_progress", assigned_to_id=clerk.user_id),
                # Done: no longer answerable for the filing.
                Task(tenant_id=firms.alpha, filing_id=feb21[1], title="Check VAT",
                     status="completed", assigned_to_id=clerk.user_id),
                Task(tenant_id=firms.alpha, filing_id=nis_feb, title="NIS schedule",
                     status="open", assigned_to_id=admin.user_id),
            ]
        )  # fmt: skip
        session.commit()
    assert due_counts(admin, FIRST, LAST, assignee_id=clerk.user_id) == {date(2024, 2, 21): 1}
    assert due_counts(admin, FIRST, LAST, assignee_id=admin.user_id) == {date(2024, 2, 14): 1}
    assert due_counts(admin, FIRST, LAST, assignee_id=admin.user_id, authority="GRA") == {}
    query = agenda_query(admin, {"assignee_id": clerk.user_id})
    assert all_ids(admin, query) == {feb21[0]}
    names = dict((v, k) for k, v in assignee_choices(admin))
    assert clerk.user_id in names and admin.user_id in names
    assert "Beta Boss" not in names.values()


def test_agenda_lists_a_days_or_a_months_open_filings(data: Data, contexts) -> None:
    admin = contexts["FirmAdmin"]
    day = date(2024, 2, 21)
    assert all_ids(admin, agenda_query(admin, {"due": day})) == data.on(day)
    feb = {fid for fid, d in data.due.items() if (d.year, d.month) == (2024, 2)}
    month = agenda_query(admin, {deadlines.DUE_BETWEEN: (date(2024, 2, 1), date(2024, 2, 29))})
    assert all_ids(admin, month) == feb
    assert month.count(admin.session) == 3
    nis = agenda_query(admin, {"due": date(2024, 2, 14), "authority": "NIS"})
    assert all_ids(admin, nis) == data.on(date(2024, 2, 14))
    assert data.submitted not in all_ids(admin, agenda_query(admin))
    assert data.beta_filing not in all_ids(admin, agenda_query(admin))


def test_calendar_range_covers_every_day_a_month_page_shows() -> None:
    first, last = deadlines.calendar_range(2024, 2)
    assert first <= date(2024, 1, 29) and last >= date(2024, 3, 10)
    assert deadlines.authority_label("GRA") == "Guyana Revenue Authority (GRA)"


# -------------------------------------------------------------------------------------- GUI


def shown(counts: dict[date, int]) -> dict[date, int]:
    """The counts of the days February 2024's calendar page can show."""
    first, last = deadlines.calendar_range(2024, 2)
    return {d: n for d, n in counts.items() if first <= d <= last}


def make_page(qtbot, ctx: Context) -> DeadlinesPage:
    page = DeadlinesPage(ctx, today=TODAY)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    wait_counts(qtbot, page)
    return page


def wait_counts(qtbot, page: DeadlinesPage) -> None:
    qtbot.waitUntil(lambda: not page.counts_loading, timeout=WAIT)


def wait_agenda(qtbot, page: DeadlinesPage, ids: set[int]) -> None:
    model = page.agenda.model

    def shown() -> bool:
        if model.loading or model.total is None:
            return False
        return {model.row_id(r) for r in range(model.rowCount())} == ids

    qtbot.waitUntil(shown, timeout=WAIT)
    assert model.total == len(ids)


def cell_of(page: DeadlinesPage, day: date):
    """The calendar's grid cell of `day` (a day of the shown month)."""
    view = page.calendar.findChild(QTableView)
    model = view.model()
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            if str(index.data()) == str(day.day):
                return view, index
    raise AssertionError(f"{day} is not shown")


@pytest.mark.gui
def test_counts_are_painted_in_their_days_and_past_days_are_overdue(
    qtbot, data: Data, contexts
) -> None:
    page = make_page(qtbot, contexts["FirmAdmin"])
    assert page.selected_day() == TODAY
    assert page.shown_month() == (2024, 2)
    assert page.counts == shown(data.expected())
    page.calendar.grab()  # paints every cell
    feb = {d: n for d, n in data.expected().items() if d.month == 2}
    for day, count in feb.items():
        assert page.calendar.count_on(day) == count
        assert page.calendar.painted[day] == str(count)
    assert date(2024, 2, 20) not in page.calendar.painted  # nothing due: nothing painted
    assert page.calendar.is_overdue(date(2024, 2, 14))  # before "today", still open
    assert not page.calendar.is_overdue(date(2024, 2, 21))
    assert page.summary.text() == "3 open filings due in February 2024 · 1 overdue"


@pytest.mark.gui
def test_clicking_a_day_lists_its_filings_and_enter_goes_to_the_list(
    qtbot, data: Data, contexts, firms: Firms
) -> None:
    page = make_page(qtbot, contexts["FirmAdmin"])
    wait_agenda(qtbot, page, set())  # nothing due on the 16th
    view, index = cell_of(page, date(2024, 2, 21))
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
    )
    assert page.selected_day() == date(2024, 2, 21)
    assert page.agenda_title.text() == "Due Wednesday 21 February 2024"
    wait_agenda(qtbot, page, data.on(date(2024, 2, 21)))
    assert page.agenda.count_label.text() == "2 filings"
    # Keyboard: a week back is the 14th (NIS); Enter moves into its list.
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert page.selected_day() == date(2024, 2, 14)
    wait_agenda(qtbot, page, data.on(date(2024, 2, 14)))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.agenda.table
    assert page.agenda.selected_id() in data.on(date(2024, 2, 14))
    # Enter on the row opens the filing's client, as the lists do.
    with qtbot.waitSignal(page.opened, timeout=WAIT) as opened:
        qtbot.keyClick(page.agenda.table, Qt.Key.Key_Return)
    assert opened.args == [firms.alpha_client]


@pytest.mark.gui
def test_filter_by_authority_and_the_months_agenda(qtbot, data: Data, contexts) -> None:
    page = make_page(qtbot, contexts["FirmAdmin"])
    labels = [page.authority.itemText(i) for i in range(page.authority.count())]
    assert "Guyana Revenue Authority (GRA)" in labels and "GRA" not in labels
    page.set_authority("NIS")
    wait_counts(qtbot, page)
    assert page.counts == shown(data.expected("NIS")) == {date(2024, 2, 14): 1}
    page.calendar.grab()
    assert date(2024, 2, 21) not in page.calendar.painted
    assert page.calendar.painted[date(2024, 2, 14)] == "1"
    page.mode.setCurrentIndex(page.mode.findData("month"))
    assert page.agenda_title.text() == "Due in February 2024"
    wait_agenda(qtbot, page, data.on(date(2024, 2, 14), "NIS"))
    page.set_authority(None)
    feb = {fid for fid, d in data.due.items() if (d.year, d.month) == (2024, 2)}
    wait_agenda(qtbot, page, feb)
    # The next month: the agenda follows the page.
    page.calendar.showNextMonth()
    mar = {fid for fid, d in data.due.items() if (d.year, d.month) == (2024, 3)}
    wait_agenda(qtbot, page, mar)
    wait_counts(qtbot, page)
    assert page.summary.text() == "2 open filings due in March 2024"


@pytest.mark.gui
def test_assignee_filter_offered_only_with_tasks_view(qtbot, data: Data, contexts) -> None:
    admin = make_page(qtbot, contexts["FirmAdmin"])
    assert not admin.assignee.isHidden()
    qtbot.waitUntil(lambda: admin.assignee.count() > 1, timeout=WAIT)
    clerk = make_page(qtbot, contexts["FilingClerk"])
    assert clerk.assignee.isHidden()
    assert clerk.message_text() == ""
    assert clerk.counts == shown(data.expected())


@pytest.mark.gui
def test_a_new_filing_shows_up_through_the_change_bus(qtbot, data: Data, contexts, firms) -> None:
    ctx = contexts["FirmAdmin"]
    page = make_page(qtbot, ctx)
    page.show_day(date(2024, 2, 21))
    wait_agenda(qtbot, page, data.on(date(2024, 2, 21)))
    created: list[int] = []
    run_operation(
        ctx,
        lambda wctx: filings.create_filing(
            wctx,
            {"client_id": firms.alpha_client, "filing_type_id": data.vat},
            period=period_for("month", 2024, 1),
        ),
        owner=page,
        on_done=lambda filing: created.append(filing["id"]),
    )
    qtbot.waitUntil(lambda: page.calendar.count_on(date(2024, 2, 21)) == 3, timeout=WAIT)
    wait_agenda(qtbot, page, data.on(date(2024, 2, 21)) | set(created))
