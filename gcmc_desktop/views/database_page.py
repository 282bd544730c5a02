"""Admin → Database: the database's health (services/db_health.py), its backups, and the
maintenance an administrator runs from here — Vacuum now, Back up now.

On the embedded default the workstation holds the server's own administrator URL, so it can
vacuum and back up itself. On a central server a staff login may do neither (VACUUM needs the
tables' owner, a dump must bypass row-level security): the page shows what the staff role can
see and names the `gcmc` commands the administrator schedules on the server.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..services.context import Context
from ..services.db_health import HealthReport, human_bytes
from .kit import messages
from .local_server import LocalServer, backup_preferences
from .workers import Job, JobControl, run_job

NOT_ADMIN = (
    "Vacuum and backups of a central server run on the server, by its administrator: "
    "schedule `gcmc maintenance vacuum` and `gcmc backup create --keep 14` (see the README)."
)


def _when(value) -> str:
    if value is None:
        return "never"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _percent(value: float | None) -> str:
    return "not measured yet" if value is None else f"{value * 100:.1f} %"


def _item(text: str, *, number: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if number:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


class DatabasePage(QWidget):
    """`server`: the embedded server this workstation runs (None on a central server)."""

    def __init__(
        self, ctx: Context, *, server: LocalServer | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.admin_url = server.admin_url if server else None
        self.backup_dir = server.backup_dir if server else None
        self.storage_folder = server.storage_folder if server else None
        admin_url = self.admin_url
        self.report: HealthReport | None = None
        self._job: Job | None = None
        self.error = messages.banner()
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.summary = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key, label in (
            ("server", "Server"),
            ("size", "Database size"),
            ("cache", "Cache hit ratio"),
            ("index", "Index hit ratio"),
            ("backups", "Backups"),
            ("warnings", "Needs attention"),
        ):
            value = QLabel("…")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = value
            self.summary.addRow(label + ":", value)

        self.tables = _table(["Table", "Size", "Rows", "Dead rows", "Last vacuum", "Last analyze"])
        self.indexes = _table(["Table", "Index", "Size"])
        self.sessions = _table(["Role", "Connections"])
        self.queries = _table(["Process", "Role", "Running for", "State", "Query"])
        self.detail = QTabWidget()
        self.detail.addTab(self.tables, "Tables")
        self.detail.addTab(self.indexes, "Unused indexes")
        self.detail.addTab(self.sessions, "Connections")
        self.detail.addTab(self.queries, "Long-running queries")

        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setToolTip("Read the figures again (F5)")
        self.vacuum_button = QPushButton("&Vacuum now")
        self.vacuum_button.setToolTip(
            "VACUUM ANALYZE every table: reclaims dead rows and refreshes the planner's statistics"
        )
        self.backup_button = QPushButton("&Back up now")
        self.folder_button = QPushButton("Open backups &folder")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        for widget in (self.progress, self.cancel_button):
            widget.hide()
        self.refresh_button.clicked.connect(self.refresh)
        self.vacuum_button.clicked.connect(self.vacuum)
        self.backup_button.clicked.connect(self.back_up)
        self.folder_button.clicked.connect(self._open_folder)
        self.cancel_button.clicked.connect(self._cancel)
        QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh)

        can_maintain = admin_url is not None and ctx.can("settings", "edit")
        self.vacuum_button.setEnabled(can_maintain)
        self.backup_button.setEnabled(can_maintain)
        self.folder_button.setEnabled(self.backup_dir is not None)
        if admin_url is None:
            self.notice.setText(NOT_ADMIN)
        elif not ctx.can("settings", "edit"):
            self.notice.setText("Vacuum and backups need the Settings: edit permission.")
        self.notice.setVisible(bool(self.notice.text()))

        self.daily = QCheckBox("Back up this computer's database every &day, keeping the newest")
        self.keep = QSpinBox()
        self.keep.setRange(1, 365)
        self.keep.setSuffix(" backups")
        daily, keep = backup_preferences()
        self.daily.setChecked(daily)
        self.keep.setValue(keep)
        self.keep.setEnabled(daily)
        self.daily.toggled.connect(self._save_schedule)
        self.keep.valueChanged.connect(self._save_schedule)
        schedule = QHBoxLayout()
        schedule.addWidget(self.daily)
        schedule.addWidget(self.keep)
        schedule.addStretch(1)
        for widget in (self.daily, self.keep):
            widget.setVisible(self.backup_dir is not None)
            widget.setEnabled(widget.isEnabled() and can_maintain)

        buttons = QHBoxLayout()
        for button in (
            self.refresh_button,
            self.vacuum_button,
            self.backup_button,
            self.folder_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        title = QLabel("<h2>Database</h2>")
        layout.addWidget(title)
        layout.addWidget(self.error)
        layout.addWidget(self.notice)
        layout.addLayout(self.summary)
        layout.addLayout(schedule)
        layout.addLayout(buttons)
        layout.addWidget(self.detail, 1)
        self.refresh()

    # ------------------------------------------------------------------ reading

    def _backups(self) -> list:
        from ..services.backup import list_backups

        return list_backups(self.backup_dir) if self.backup_dir else []

    def refresh(self) -> None:
        if self._job is not None:
            return
        ctx, admin_url = self.ctx, self.admin_url

        def work(_control: JobControl) -> HealthReport:
            from ..services.db_health import health_report, health_report_at

            backups = self._backups() if self.backup_dir else None
            if admin_url is not None:
                return health_report_at(admin_url, backups=backups)
            with ctx.reading() as session:
                return health_report(session.connection(), backups=backups)

        self._start(work, self._show, busy="Reading the database's figures…", cancellable=False)

    def _show(self, report: HealthReport) -> None:
        self.report = report
        f = self.fields
        f["server"].setText(f"PostgreSQL {report.server_version} — database {report.database}")
        f["size"].setText(human_bytes(report.database_bytes))
        f["cache"].setText(_percent(report.cache_hit_ratio))
        f["index"].setText(_percent(report.index_hit_ratio))
        if self.backup_dir is None:
            f["backups"].setText("Kept on the server by its administrator.")
        elif report.backups:
            f["backups"].setText(
                f"{report.backups} in {self.backup_dir} — newest {_when(report.newest_backup)}, "
                f"oldest {_when(report.oldest_backup)}"
            )
        else:
            f["backups"].setText(f"None yet in {self.backup_dir}.")
        f["warnings"].setText(" ".join(report.warnings) or "Nothing.")
        self.tables.setRowCount(len(report.tables))
        for row, t in enumerate(report.tables):
            for col, (text, number) in enumerate(
                (
                    (t.name, False),
                    (human_bytes(t.total_bytes), True),
                    (f"{t.rows:,}", True),
                    (f"{t.dead_share * 100:.1f} %", True),
                    (_when(t.last_vacuum), False),
                    (_when(t.last_analyze), False),
                )
            ):
                self.tables.setItem(row, col, _item(text, number=number))
        self.indexes.setRowCount(len(report.unused_indexes))
        for row, ix in enumerate(report.unused_indexes):
            for col, (text, number) in enumerate(
                ((ix.table, False), (ix.name, False), (human_bytes(ix.bytes), True))
            ):
                self.indexes.setItem(row, col, _item(text, number=number))
        self.sessions.setRowCount(len(report.connections))
        for row, (role, count) in enumerate(report.connections.items()):
            self.sessions.setItem(row, 0, _item(role))
            self.sessions.setItem(row, 1, _item(str(count), number=True))
        self.queries.setRowCount(len(report.long_queries))
        for row, q in enumerate(report.long_queries):
            for col, text in enumerate(
                (str(q.pid), q.role, f"{q.seconds:.0f} s", q.state, " ".join(q.query.split()))
            ):
                self.queries.setItem(row, col, _item(text))
        if not report.sees_all_sessions:
            self.detail.setTabText(3, "Long-running queries (own sessions)")
        for table in (self.tables, self.indexes, self.sessions):
            table.resizeColumnsToContents()

    # ------------------------------------------------------------------ maintenance

    def vacuum(self) -> None:
        if self.admin_url is None or self._job is not None:
            return
        admin_url = self.admin_url

        def work(control: JobControl) -> list[str]:
            from ..services.db_health import vacuum_analyze_at

            return vacuum_analyze_at(
                admin_url,
                progress=lambda table, done, total: control.progress(done, total, table),
                cancelled=lambda: control.cancelled,
            )

        self._start(
            work,
            lambda done: self._finished(f"Vacuumed and analysed {len(done)} table(s)."),
            busy="Vacuuming…",
        )

    def back_up(self) -> None:
        if self.admin_url is None or self.backup_dir is None or self._job is not None:
            return
        admin_url, folder, files = self.admin_url, self.backup_dir, self.storage_folder

        def work(control: JobControl):
            from ..services.backup import create_backup

            folder.mkdir(parents=True, exist_ok=True)
            return create_backup(
                admin_url,
                folder,
                storage_folder=files,
                progress=lambda stage, done, total: control.progress(
                    done, total, "Database…" if stage == "database" else "Document files…"
                ),
                cancelled=lambda: control.cancelled,
            )

        self._start(
            work,
            lambda info: self._finished(
                f"Backed up {info.rows:,} rows and {info.files:,} files to {info.path.name} "
                f"({human_bytes(info.size)})."
            ),
            busy="Backing up…",
        )

    def _save_schedule(self) -> None:
        from .. import settings as app_settings

        store = app_settings.settings()
        store.setValue("backup/daily", "true" if self.daily.isChecked() else "false")
        store.setValue("backup/keep", self.keep.value())
        self.keep.setEnabled(self.daily.isChecked())

    def _finished(self, message: str) -> None:
        self.notice.setText(message)
        self.notice.show()
        self.refresh()

    def _open_folder(self) -> None:
        if self.backup_dir:
            self.backup_dir.mkdir(parents=True, exist_ok=True)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.backup_dir)))

    # ------------------------------------------------------------------ jobs

    def _start(self, work, on_done, *, busy: str, cancellable: bool = True) -> None:
        messages.show_in(self.error, "")
        self.progress.setRange(0, 0)
        self.progress.setFormat(busy)
        self.progress.show()
        self.cancel_button.setVisible(cancellable)
        for button in (self.refresh_button, self.vacuum_button, self.backup_button):
            button.setProperty("wasEnabled", button.isEnabled())
            button.setEnabled(False)

        def done(result) -> None:
            self._ended()
            on_done(result)

        def failed(message: str) -> None:
            self._ended()
            messages.show_in(self.error, message)

        self._job = run_job(work, on_done=done, on_error=failed, on_progress=self._progressed)
        self._job.signals.cancelled.connect(lambda: (self._ended(), self._finished("Cancelled.")))

    def _progressed(self, done: int, total: int, text: str) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if text:
            self.progress.setFormat(f"{text} %p%")

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.control.cancel()

    def _ended(self) -> None:
        self._job = None
        self.progress.hide()
        self.cancel_button.hide()
        for button in (self.refresh_button, self.vacuum_button, self.backup_button):
            button.setEnabled(bool(button.property("wasEnabled")))

    @property
    def busy(self) -> bool:
        return self._job is not None
