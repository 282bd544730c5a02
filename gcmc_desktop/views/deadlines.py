"""The deadlines calendar (issue 12): a month of the firm's due dates, the number of open
filings due painted in each day (days already past tinted: those filings are overdue), narrowed
by authority and assignee, and beside it the agenda — the selected day's (or the whole month's)
filings on the kit's list page.

Keyboard: the arrow keys move between days, Page Up / Page Down between months, Enter moves the
focus to the day's list (Enter there opens the filing's client).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QTextCharFormat
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..services.context import Context
from ..services.deadlines import (
    ASSIGNEE,
    AUTHORITY_CHOICES,
    DUE_BETWEEN,
    agenda_query,
    assignee_choices,
    calendar_range,
    due_counts,
)
from ..services.errors import ServiceError
from ..services.filings import get_filing, is_working_day
from .filings import FILING_RECORD, FILING_TINT_LABELS, FILING_TINTS, filing_state
from .kit.bus import change_bus
from .kit.list_page import FILTER_MAX_WIDTH, ListPage, ListSpec
from .kit.messages import banner, code_label, show_in, shown_text
from .kit.operations import run_operation

UPCOMING = QColor("#1f5fbf")
OVERDUE = QColor("#b3261e")
OVERDUE_TINT = QColor(179, 38, 30, 38)
LEGEND = (
    "Numbers: open filings (draft, prepared, rejected, overdue) by their real due date. "
    "Red: the due date has passed, so they are overdue (not the web platform's period-end test)."
)

# The agenda: the filings list of services.filings, narrowed by the calendar.
AGENDA = ListSpec(
    noun="filing",
    plural="filings",
    module="filings",
    query=lambda ctx, scope: agenda_query(ctx, scope.get("filters")),
    listens_to=frozenset({"filing", "filing_type", "task"}),
    sort="due",
    labels={"status": code_label},
    widths={"due": 84, "client": 170, "type": 130, "authority": 64, "period": 104, "status": 76},
    hidden=lambda _scope: ("reference", "submitted"),
    open_label="Open client",
    opens=lambda ctx, filing_id: get_filing(ctx, filing_id)["client_id"],
    opens_directly=False,
    state_key="deadlines/agenda-header",
    name_key="client",
    record=FILING_RECORD,
    tint=filing_state,
    tints=FILING_TINTS,
    tint_labels=FILING_TINT_LABELS,
)


def _py(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _qt(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def day_title(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


class DueCalendar(QCalendarWidget):
    """A month calendar that paints in each day how many filings fall due, in red (and the day
    tinted) when that day is already past."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts: dict[date, int] = {}
        self.today = date.today()
        # What the last paint wrote into each day: the tests read the screen through it.
        self.painted: dict[date, str] = {}
        self.setGridVisible(True)
        self.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setHorizontalHeaderFormat(QCalendarWidget.HorizontalHeaderFormat.ShortDayNames)
        self.setAccessibleName("Deadlines calendar")
        self.setMinimumSize(460, 360)

    def mark_holidays(self, first: date, last: date) -> None:
        """Guyanese public holidays in red, like weekends: no due date falls on them."""
        red = QTextCharFormat(self.weekdayTextFormat(Qt.DayOfWeek.Sunday))
        day = first
        while day <= last:
            if day.weekday() < 5 and not is_working_day(day):
                self.setDateTextFormat(_qt(day), red)
            day += timedelta(days=1)

    def set_counts(self, counts: dict[date, int], today: date) -> None:
        self._counts = dict(counts)
        self.today = today
        self.painted.clear()
        self.updateCells()

    def count_on(self, day: date) -> int:
        return self._counts.get(day, 0)

    def is_overdue(self, day: date) -> bool:
        return self.count_on(day) > 0 and day < self.today

    def paintCell(self, painter: QPainter, rect: QRect, qdate: QDate) -> None:
        super().paintCell(painter, rect, qdate)
        day = _py(qdate)
        count = self.count_on(day)
        painter.save()
        if day == self.today:
            painter.setPen(QPen(UPCOMING, 2))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        if count:
            overdue = day < self.today
            if overdue:
                painter.fillRect(rect, OVERDUE_TINT)
            text = f"{count:,}"
            font = QFont(painter.font())
            font.setBold(True)
            painter.setFont(font)
            metrics = painter.fontMetrics()
            width = max(metrics.horizontalAdvance(text) + 12, metrics.height() + 4)
            badge = QRect(
                rect.right() - width - 3,
                rect.bottom() - metrics.height() - 6,
                width,
                metrics.height() + 4,
            )
            colour = QColor(OVERDUE if overdue else UPCOMING)
            if qdate.month() != self.monthShown():
                colour.setAlpha(120)  # a day of the neighbouring month
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor("white"), 1))  # stands out on the selected day too
            painter.setBrush(colour)
            painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
            self.painted[day] = text
        painter.restore()


class DeadlinesPage(QWidget):
    """The firm's deadlines: the calendar, its filters, and the agenda of the selected day.
    `opened(client id)` asks the main window to open a filing's client, like the lists do."""

    opened = Signal(int)
    countsLoaded = Signal()

    def __init__(
        self, ctx: Context, parent: QWidget | None = None, *, today: date | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._fixed_today = today
        self._generation = 0
        self.counts: dict[date, int] = {}
        self.counts_loading = False

        self.calendar = DueCalendar()
        self.calendar.today = self.today()
        self.calendar.setSelectedDate(_qt(self.today()))

        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Go to today (Home in the calendar moves to the 1st)")
        self.authority = self._combo("Authority filter", "All authorities", AUTHORITY_CHOICES)
        self.assignee = self._combo("Assignee filter", "Anyone assigned", ())
        self.assignee.setToolTip("Filings with a task not yet completed assigned to this person")
        # Assignees come from staff tasks on the filings, which not every role may read.
        self.assignee.setVisible(ctx.can("tasks", "view"))
        self.mode = self._combo(
            "Agenda shows", None, (("Selected day", "day"), ("Whole month", "month"))
        )
        self.summary = QLabel()
        self.summary.setAccessibleName("Month summary")
        self.legend = QLabel(LEGEND)
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: palette(mid);")
        self.message = banner()
        self.agenda_title = QLabel()
        font = self.agenda_title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.agenda_title.setFont(font)

        self.agenda = ListPage(ctx, AGENDA, filters=self._agenda_filters())
        self.agenda.opened.connect(self.opened)

        toolbar = QHBoxLayout()
        toolbar.addWidget(self.today_button)
        toolbar.addWidget(self.authority)
        toolbar.addWidget(self.assignee)
        toolbar.addSpacing(12)
        toolbar.addWidget(self.summary, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.calendar, 1)
        left_layout.addWidget(self.legend)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        heading = QHBoxLayout()
        heading.addWidget(self.agenda_title, 1)
        heading.addWidget(QLabel("Show:"))
        heading.addWidget(self.mode)
        right_layout.addLayout(heading)
        right_layout.addWidget(self.agenda, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([480, 780])
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)

        self.today_button.clicked.connect(self.go_to_today)
        self.authority.currentIndexChanged.connect(self._filters_changed)
        self.assignee.currentIndexChanged.connect(self._filters_changed)
        self.mode.currentIndexChanged.connect(self._update_agenda)
        self.calendar.selectionChanged.connect(self._update_agenda)
        self.calendar.currentPageChanged.connect(self._page_changed)
        # Enter (or a double click) on a day: into its list.
        self.calendar.activated.connect(lambda *_: self.focus_agenda())
        change_bus().subscribe(
            self, {"filing", "filing_type", "task"}, lambda _changes: self.reload_counts()
        )
        if ctx.can("tasks", "view"):
            run_operation(
                ctx,
                assignee_choices,
                owner=self,
                on_done=self._assignees_loaded,
                on_error=self._failed,
            )
        self._update_agenda()
        self.reload_counts()
        self.setFocusProxy(self.calendar)

    # -- building -------------------------------------------------------------------------------

    def _combo(self, name: str, all_label: str | None, choices: Any) -> QComboBox:
        box = QComboBox()
        if all_label is not None:
            box.addItem(all_label, None)
        for label, value in choices:
            box.addItem(label, value)
        box.setAccessibleName(name)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        box.setMaximumWidth(FILTER_MAX_WIDTH + 80)
        box.view().setTextElideMode(Qt.TextElideMode.ElideNone)
        return box

    def _assignees_loaded(self, choices: list[tuple[str, str]]) -> None:
        for label, value in choices:
            self.assignee.addItem(label, value)

    # -- state ----------------------------------------------------------------------------------

    def today(self) -> date:
        return self._fixed_today or date.today()

    def selected_day(self) -> date:
        return _py(self.calendar.selectedDate())

    def shown_month(self) -> tuple[int, int]:
        return self.calendar.yearShown(), self.calendar.monthShown()

    def filters(self) -> dict[str, Any]:
        """The calendar's filters as the services take them."""
        return {
            "authority": self.authority.currentData(),
            ASSIGNEE: self.assignee.currentData() if self.ctx.can("tasks", "view") else None,
        }

    def message_text(self) -> str:
        return shown_text(self.message)

    # -- actions --------------------------------------------------------------------------------

    def go_to_today(self) -> None:
        self.calendar.setSelectedDate(_qt(self.today()))
        self.calendar.setFocus()

    def show_day(self, day: date) -> None:
        """Select `day` (its month comes into view) and list its filings."""
        self.calendar.setSelectedDate(_qt(day))

    def set_authority(self, code: str | None) -> None:
        self.authority.setCurrentIndex(max(0, self.authority.findData(code)))

    def focus_agenda(self) -> None:
        table = self.agenda.table
        table.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.agenda.selected_id() is None and self.agenda.model.rowCount() > 0:
            table.selectRow(0)

    def reload_counts(self) -> None:
        """Count the open filings due on every day the calendar can show (in the background)."""
        self.calendar.today = self.today()
        first, last = calendar_range(*self.shown_month())
        self.calendar.mark_holidays(first, last)
        filters = self.filters()
        self._generation += 1
        generation = self._generation
        self.counts_loading = True
        run_operation(
            self.ctx,
            lambda wctx: due_counts(
                wctx, first, last, authority=filters["authority"], assignee_id=filters[ASSIGNEE]
            ),
            owner=self,
            on_done=lambda counts: self._counts_arrived(generation, counts),
            on_error=self._failed,
        )

    # -- internals ------------------------------------------------------------------------------

    def _agenda_filters(self) -> dict[str, Any]:
        filters = self.filters()
        if self.mode.currentData() == "month":
            year, month = self.shown_month()
            last = date(year, month, calendar.monthrange(year, month)[1])
            filters.update({"due": None, DUE_BETWEEN: (date(year, month, 1), last)})
        else:
            filters.update({"due": self.selected_day(), DUE_BETWEEN: None})
        return filters

    def _update_agenda(self, *_args: Any) -> None:
        if self.mode.currentData() == "month":
            year, month = self.shown_month()
            self.agenda_title.setText(f"Due in {date(year, month, 1):%B %Y}")
        else:
            self.agenda_title.setText(f"Due {day_title(self.selected_day())}")
        self.agenda.model.set_filters(self._agenda_filters())

    def _page_changed(self, *_args: Any) -> None:
        if self.mode.currentData() == "month":
            self._update_agenda()
        self.reload_counts()

    def _filters_changed(self, *_args: Any) -> None:
        self._update_agenda()
        self.reload_counts()

    def _counts_arrived(self, generation: int, counts: dict[date, int]) -> None:
        if generation != self._generation:
            return  # a newer month or filter is on its way
        self.counts_loading = False
        self.counts = counts
        show_in(self.message, "")
        self.calendar.set_counts(counts, self.today())
        year, month = self.shown_month()
        in_month = {d: n for d, n in counts.items() if (d.year, d.month) == (year, month)}
        due = sum(in_month.values())
        overdue = sum(n for d, n in in_month.items() if d < self.today())
        text = f"{due:,} open filing{'' if due == 1 else 's'} due in {date(year, month, 1):%B %Y}"
        if overdue:
            text += f" · {overdue:,} overdue"
        self.summary.setText(text)
        self.countsLoaded.emit()

    def _failed(self, error: ServiceError) -> None:
        self.counts_loading = False
        show_in(self.message, error.message)
