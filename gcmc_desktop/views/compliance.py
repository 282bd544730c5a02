"""The Compliance section and a client's Compliance tab (issue 14): the firm's scores in the
generic list (filter by level, sector and requirement bundle; sorted by score, poorest first),
the distribution by level as a Qt Charts bar chart (a click on a bar filters the list to that
level), the selected client's breakdown beside the list ("−10 VAT registration certificate
missing (rule: GRA documents)"), and in each client workspace the score, level, breakdown and
what to do next. Everything refreshes when the change bus reports compliance_score changes
(the engine's recalculations, here or on another workstation)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..services.catalog import SECTORS
from ..services.compliance_breakdown import LEVEL_LABELS, LEVELS, format_line, level_for
from ..services.compliance_scores import (
    BUNDLE,
    LEVEL,
    bundle_choices,
    client_score,
    distribution,
    score_list_query,
)
from ..services.context import Context
from ..services.paging import format_value
from .compliance_jobs import ComplianceJobs
from .kit.bus import change_bus
from .kit.list_page import FilterSpec, ListPage, ListSpec
from .kit.messages import banner, show_in
from .kit.operations import run_operation

LISTENS_TO = frozenset({"compliance_score", "client"})
# Translucent, as the filings' and documents' tints: readable on light and dark palettes.
LEVEL_COLOURS = {
    "excellent": QColor(22, 163, 74),
    "good": QColor(101, 163, 13),
    "fair": QColor(234, 179, 8),
    "poor": QColor(220, 38, 38),
}
SCORE_TINTS = {"poor": QColor(220, 38, 38, 70), "fair": QColor(234, 179, 8, 60)}
SCORE_TINT_LABELS = {"poor": "Poor: score below 50", "fair": "Fair: score 50 to 69"}


def _score_tint(values: Any) -> str | None:
    score = values.get("score")
    if score is None:
        return None
    level = level_for(score)
    return level if level in SCORE_TINTS else None


SCORES = ListSpec(
    noun="client score",
    plural="client scores",
    module="compliance",
    query=lambda ctx, _scope: score_list_query(ctx),
    listens_to=LISTENS_TO,
    search_hint="Search client name, e-mail, TIN or NIS number  (Ctrl+F)",
    filters=(
        FilterSpec(LEVEL, "Any level", "Level filter", [(LEVEL_LABELS[lv], lv) for lv in LEVELS]),
        FilterSpec("sector", "All sectors", "Sector filter", [(s, s) for s in SECTORS]),
        FilterSpec(BUNDLE, "Any bundle", "Requirement bundle filter", load=bundle_choices),
    ),
    widths={
        "client": 230,
        "score": 55,
        "level": 65,
        "sector": 140,
        "missing": 65,
        "expiring": 65,
        "overdue": 105,
        "calculated": 125,
    },
    sort="score",
    open_label="Open client",
    opens=lambda _ctx, client_id: client_id,
    name_key="client",
    tint=_score_tint,
    tints=SCORE_TINTS,
    tint_labels=SCORE_TINT_LABELS,
    state_key="compliance/header",
)


def _line_item(points: int | None, text: str) -> QListWidgetItem:
    item = QListWidgetItem(format_line(points, text))
    item.setToolTip(text)
    return item


class DistributionChart(QChartView):
    """Clients per level as bars (Qt Charts). `levelClicked(level)` when a bar is clicked."""

    levelClicked = Signal(str)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.counts: dict[str, int] = dict.fromkeys(LEVELS, 0)
        self._generation = 0
        # One set per level, each with its value in its own category only, stacked: a colour per
        # level, the same bar positions as a plain series.
        self.sets: dict[str, QBarSet] = {}
        self.series = QStackedBarSeries()
        for level in LEVELS:
            bar_set = QBarSet(LEVEL_LABELS[level])
            bar_set.append([0.0] * len(LEVELS))
            bar_set.setColor(LEVEL_COLOURS[level])
            bar_set.setBorderColor(LEVEL_COLOURS[level])
            bar_set.setLabelColor(self.palette().color(QPalette.ColorRole.WindowText))
            self.sets[level] = bar_set
            self.series.append(bar_set)
        self.series.setLabelsVisible(True)
        self.series.setLabelsPosition(QStackedBarSeries.LabelsPosition.LabelsInsideEnd)
        self.series.clicked.connect(lambda index, _set: self.levelClicked.emit(LEVELS[index]))
        chart = QChart()
        chart.addSeries(self.series)
        chart.setTitle("Clients by compliance level")
        chart.legend().setVisible(False)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        self.axis_x = QBarCategoryAxis()
        self.axis_x.append([LEVEL_LABELS[level] for level in LEVELS])
        self.axis_y = QValueAxis()
        self.axis_y.setLabelFormat("%d")
        chart.addAxis(self.axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.axis_y, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.axis_x)
        self.series.attachAxis(self.axis_y)
        self.setChart(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setToolTip("Click a bar to list the clients of that level")
        change_bus().subscribe(self, {"compliance_score"}, lambda _c: self.refresh())

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        run_operation(
            self.ctx,
            distribution,
            owner=self,
            on_done=lambda counts: self._show(generation, counts),
        )

    def _show(self, generation: int, counts: dict[str, int]) -> None:
        if generation != self._generation:
            return
        self.counts = counts
        for i, level in enumerate(LEVELS):
            # Zero height in the other categories draws nothing (and no label).
            self.sets[level].replace(i, float(counts.get(level, 0)))
        top = max(counts.values(), default=0)
        # Room above the tallest bar for its label; whole numbers on the axis.
        self.axis_y.setRange(0, max(4, top + max(1, top // 5)))
        self.axis_y.applyNiceNumbers()
        self.axis_y.setLabelFormat("%d")
        self.chart().setTitle(f"Clients by compliance level ({sum(counts.values()):,} scored)")


class BreakdownView(QWidget):
    """A client's score, level, breakdown lines and the to-do list, loaded in the background.
    The pane beside the scores list (`show_record(client_id)`) and the body of the client's
    Compliance tab."""

    loaded = Signal(object)  # the client_score dict, or None

    def __init__(
        self,
        ctx: Context,
        client_id: int | None = None,
        parent: QWidget | None = None,
        *,
        empty_text: str = "Select a client to see why it scores what it does.",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.score: dict[str, Any] | None = None
        self._empty_text = empty_text
        self._generation = 0
        self.heading = QLabel(empty_text)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.message = banner()
        self.lines = QListWidget()
        self.lines.setWordWrap(True)
        self.lines.setAccessibleName("Breakdown")
        self.to_do = QListWidget()
        self.to_do.setWordWrap(True)
        self.to_do.setAccessibleName("What to do next")
        self.lines_title = QLabel("<b>Why this score</b>")
        self.to_do_title = QLabel("<b>What to do next</b>")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.details)
        layout.addWidget(self.message)
        layout.addWidget(self.lines_title)
        layout.addWidget(self.lines, 3)
        layout.addWidget(self.to_do_title)
        layout.addWidget(self.to_do, 2)
        change_bus().subscribe(self, LISTENS_TO, lambda _c: self.reload())

    @property
    def record_id(self) -> int | None:
        return self.client_id

    def show_record(self, client_id: int | None) -> None:
        self.client_id = client_id
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation, client_id = self._generation, self.client_id
        show_in(self.message, "")
        if client_id is None:
            self._show(generation, None, self._empty_text)
            return
        run_operation(
            self.ctx,
            lambda wctx: client_score(wctx, client_id),
            owner=self,
            on_done=lambda score: self._show(generation, score),
            on_error=lambda e: show_in(self.message, e.message),
        )

    def line_texts(self) -> list[str]:
        return [self.lines.item(i).text() for i in range(self.lines.count())]

    def to_do_texts(self) -> list[str]:
        return [self.to_do.item(i).text() for i in range(self.to_do.count())]

    def _show(self, generation: int, score: dict[str, Any] | None, empty: str = "") -> None:
        if generation != self._generation:
            return
        self.score = score
        self.lines.clear()
        self.to_do.clear()
        if score is None:
            self.heading.setText(
                empty or "No compliance score yet: it appears after the next recalculation."
            )
            self.details.setText("")
            for widget in (self.lines_title, self.lines, self.to_do_title, self.to_do):
                widget.setVisible(False)
            self.loaded.emit(None)
            return
        for widget in (self.lines_title, self.lines, self.to_do_title, self.to_do):
            widget.setVisible(True)
        self.heading.setText(f"{score['client']}: {score['score']:.0f} ({score['level_label']})")
        calculated = format_value(score["calculated_at"])
        details = (
            f"{score['missing']} missing · {score['expiring']} expiring · "
            f"{score['overdue']} overdue filings · calculated {calculated}"
        )
        if score["platform_row"]:
            details += (
                "<br><i>Written by the web platform (level "
                f"“{score['stored_level']}”): shown by its score band until the next "
                "recalculation.</i>"
            )
        self.details.setText(details)
        for points, text in score["lines"]:
            self.lines.addItem(_line_item(points, text))
        if not score["lines"]:
            self.lines.addItem("Nothing deducted: every requirement is met.")
        # Plain items, not check boxes: a tick would be kept nowhere; an item goes away when the
        # next recalculation finds it done.
        for text in score["to_do"]:
            self.to_do.addItem(QListWidgetItem(f"\u2022 {text}"))
        if not score["to_do"]:
            self.to_do.addItem("Nothing to do: keep documents and filings up to date.")
        self.loaded.emit(score)


class CompliancePage(QWidget):
    """The Compliance section: the distribution chart above the scores list and the selected
    client's breakdown. `opened(client_id)` asks the main window for the client's workspace."""

    opened = Signal(int)

    def __init__(
        self, ctx: Context, parent: QWidget | None = None, *, jobs: ComplianceJobs | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.jobs = jobs
        self.chart = DistributionChart(ctx)
        self.chart.setMinimumHeight(200)
        self.chart.setMaximumHeight(240)
        self.breakdown = BreakdownView(ctx)
        self.list = ListPage(ctx, SCORES, detail=self.breakdown)
        self.list.opened.connect(self.opened)
        self.chart.levelClicked.connect(self.show_level)
        # Compliance → Recalculate all: the whole firm in the background, with progress and
        # Cancel (a cancelled run changes nothing).
        self.recalculate_button = QPushButton("Recalculate all…")
        self.recalculate_button.setToolTip("Recalculate every client's score now")
        self.recalculate_button.setVisible(jobs is not None and ctx.can("compliance", "edit"))
        self.recalculate_button.clicked.connect(self.recalculate_all)
        self.run_label = QLabel()
        self.progress: QProgressDialog | None = None
        # Reports (issue 16): the compliance report of every client the list shows, as a ZIP.
        from .reports import BatchReports

        self.batch = BatchReports(ctx, self)
        self.batch.on_message = self.run_label.setText
        self.batch.on_running = lambda running: self.batch_button.setEnabled(not running)
        self.batch_button = QPushButton("Reports (ZIP)…")
        self.batch_button.setToolTip(
            "The compliance report of every client the list shows, one PDF each in a ZIP"
        )
        self.batch_button.setVisible(ctx.can("reports", "view"))
        self.batch_button.clicked.connect(self.batch_reports)
        if jobs is not None:
            jobs.finished.connect(self._run_ended)
            jobs.failed.connect(self._run_failed)
        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 8, 0)
        top.addWidget(self.run_label, 1)
        top.addWidget(self.batch_button)
        top.addWidget(self.recalculate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.chart)
        layout.addWidget(self.list, 1)
        self.chart.refresh()

    def recalculate_all(self) -> None:
        if self.jobs is None:
            return
        job = self.jobs.recalculate_all(on_progress=self._progressed)
        if job is None:
            self.run_label.setText("A recalculation is already running; try again when it ends.")
            return
        self.run_label.clear()
        self.recalculate_button.setEnabled(False)
        dialog = QProgressDialog("Recalculating compliance scores…", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Recalculate all")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.canceled.connect(job.control.cancel)
        self.progress = dialog

    def batch_reports(self) -> Any:
        """Compliance reports of the clients the list shows (its filters and search)."""
        box = self.list.filter_box(LEVEL)
        label = box.currentText() if box.currentData() is not None else ""
        return self.batch.start(self.list.model.query, label=label)

    def _progressed(self, done: int, total: int, text: str) -> None:
        if self.progress is not None:
            self.progress.setMaximum(max(total, 1))
            self.progress.setValue(min(done, total))
            self.progress.setLabelText(text)

    def _close_progress(self) -> None:
        self.recalculate_button.setEnabled(True)
        if self.progress is not None:
            self.progress.canceled.disconnect()
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _run_ended(self, report: Any) -> None:
        was_mine = self.progress is not None
        self._close_progress()
        if was_mine and report is not None:
            self.run_label.setText(
                f"Recalculated the scores of {report.clients:,} client(s); "
                f"{report.changed:,} changed."
            )
        self.refresh()

    def _run_failed(self, error: Any) -> None:
        was_mine = self.progress is not None
        self._close_progress()
        if was_mine:
            self.run_label.setText(getattr(error, "message", "") or "Not recalculated.")

    def show_level(self, level: str) -> None:
        """Narrow the list to `level` (a click on its bar)."""
        box = self.list.filter_box(LEVEL)
        index = box.findData(level)
        if index >= 0:
            box.setCurrentIndex(index)

    def show_filtered(self, filters: dict[str, Any], label: str = "") -> None:
        self.list.show_filtered(filters, label)

    def refresh(self) -> None:
        self.chart.refresh()
        self.list.refresh()

    def focus_search(self) -> None:
        self.list.focus_search()


class ClientComplianceTab(BreakdownView):
    """A client workspace's Compliance tab: its score, level, breakdown and what to do next."""

    def __init__(self, ctx: Context, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, client_id, parent)
        self.layout().setContentsMargins(9, 9, 9, 9)
        self.reload()
