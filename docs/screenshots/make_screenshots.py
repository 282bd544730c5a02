"""Render the application's screens offscreen to PNG, with the demo data:

    QT_QPA_PLATFORM=offscreen uv run python docs/screenshots/make_screenshots.py
        [--database-url postgresql://admin:pw@host/db] [--out docs/screenshots]

Without --database-url it starts its own embedded PostgreSQL in a temporary directory, migrates
it and loads the demo data. With one, the database must be migrated and seeded (`gcmc db upgrade`,
`gcmc seed demo`) and the URL's role must be an administrator: it is the sign-in gateway here.
The screens are driven as a user would, signed in as the demo FirmAdmin; one client is edited
first so its audit trail has something to show.

Writes login_dialog.png (also at 200% scaling: login_dialog@2x.png), main_window.png,
clients_list.png, client_dialog.png, client_workspace.png, client_documents.png,
documents_list.png, deadlines.png, tasks_mine.png, tasks_team.png, task_dialog.png,
client_tasks.png, messages.png, conversation_dialog.png, client_workspace_messages.png,
service_catalog.png, service_dialog.png, template_dialog.png,
rule_sets.png, rule_set_dialog.png, rules.png, rule_dialog.png, bundles.png, bundle_dialog.png,
bundle_items.png, requests_list.png (with the selected request's checklist), request_dialog.png,
compliance.png, client_compliance.png, dashboard.png, notifications.png, deleted_items.png,
report_preview.png (the compliance report's preview dialog), report_compliance.png (page 1
of that PDF), admin_database.png (Admin → Database), audit.png (the firm's audit trail with
the selected entry's before/after values), offline_checkout.png (the checkout dialog over the
clients list), offline_window.png (the main window working on an offline copy, with its banner),
offline_sync_conflict.png (the sync dialog with a conflict shown field by field), all three at
1280x800.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from gcmc_desktop.models import Client, ClientBusiness
from gcmc_desktop.services import auth, businesses, clients
from gcmc_desktop.services.context import Context

HERE = Path(__file__).resolve().parent
FIRM_ADMIN = "firmadmin@demo.gcmc.gy"


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Run the event loop until `condition` holds (background jobs deliver through it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not finish loading")
        QApplication.processEvents()
        time.sleep(0.01)
    for _ in range(5):  # let layouts and repaints settle
        QApplication.processEvents()


def save(widget: QWidget, path: Path) -> Path:
    widget.grab().save(str(path))
    print(f"wrote {path}")
    return path


# -- the screens ------------------------------------------------------------------------------


def render_clients_list(ctx: Context, path: Path) -> Path:
    from gcmc_desktop.views.clients import CLIENTS
    from gcmc_desktop.views.kit.list_page import ListPage

    page = ListPage(ctx, CLIENTS)
    page.resize(1280, 720)
    page.show()
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    page.table.selectRow(2)
    wait_for(lambda: True)
    out = save(page, path)
    page.close()
    return out


def render_document_types(ctx: Context, path: Path) -> Path:
    """Edit → Document types: the firm's catalogue on the generic list page."""
    from gcmc_desktop.views.document_types import document_types_window

    dialog = document_types_window(ctx)
    dialog.resize(1100, 560)
    dialog.show()
    page = dialog.page
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    page.table.selectRow(1)
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def render_service_catalog(ctx: Context, path: Path) -> Path:
    """Edit → Service catalog: the firm's services with their prices in G$."""
    from gcmc_desktop.views.service_catalog import service_catalog_window

    dialog = service_catalog_window(ctx)
    dialog.resize(1280, 800)
    dialog.show()
    page = dialog.page
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    page.table.selectRow(2)
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def render_service_dialog(ctx: Context, path: Path) -> Path:
    """Editing a service of the catalog."""
    from gcmc_desktop.services.service_catalog import list_services
    from gcmc_desktop.views.kit.record_dialog import RecordDialog
    from gcmc_desktop.views.service_catalog import SERVICE_RECORD

    service = next(s for s in list_services(ctx) if s["name"] == "Company incorporation")
    dialog = RecordDialog(ctx, SERVICE_RECORD, service["id"])
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    out = save(dialog, path)
    dialog.close()
    return out


def render_template_dialog(ctx: Context, path: Path) -> Path:
    """A workflow template in the steps editor: the fourth step (waits for the third)."""
    from gcmc_desktop.services.workflow_templates import list_templates
    from gcmc_desktop.views.kit.record_dialog import RecordDialog
    from gcmc_desktop.views.workflow_templates import TEMPLATE_RECORD

    template = next(
        t for t in list_templates(ctx) if t["name"].startswith("Work permit application")
    )
    dialog = RecordDialog(ctx, TEMPLATE_RECORD, template["id"])
    dialog.resize(1100, 640)
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    dialog.fields["steps_definition"].widget.list.setCurrentRow(3)
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def render_rule_sets(ctx: Context, out: Path) -> list[Path]:
    """Edit → Compliance rule sets: the list, the company rule set's form, and its rules with
    one rule's form."""
    from gcmc_desktop.services.compliance_rules import list_rule_sets, list_rules
    from gcmc_desktop.views.compliance_rules import (
        RULE_RECORD,
        RULE_SET_RECORD,
        rule_sets_window,
        rules_window,
    )
    from gcmc_desktop.views.kit.record_dialog import RecordDialog

    window = rule_sets_window(ctx)
    window.resize(1280, 800)
    window.show()
    page = window.page
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    page.table.selectRow(0)
    wait_for(lambda: True)
    paths = [save(window, out / "rule_sets.png")]
    window.close()
    company = next(r for r in list_rule_sets(ctx) if r["applies_to"])
    dialog = RecordDialog(ctx, RULE_SET_RECORD, company["id"])
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    paths.append(save(dialog, out / "rule_set_dialog.png"))
    dialog.close()
    rules = rules_window(ctx, rule_set_id=company["id"], rule_set_name=company["name"])
    rules.resize(1100, 480)
    rules.show()
    wait_for(lambda: rules.page.model.total is not None and not rules.page.model.loading)
    paths.append(save(rules, out / "rules.png"))
    rules.close()
    rule = next(
        (r for r in list_rules(ctx, company["id"]) if r["rule_type"] == "document_expiring"),
        list_rules(ctx, company["id"])[0],
    )
    dialog = RecordDialog(ctx, RULE_RECORD, rule["id"])
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    paths.append(save(dialog, out / "rule_dialog.png"))
    dialog.close()
    return paths


def render_bundles(ctx: Context, out: Path) -> list[Path]:
    """Edit → Requirement bundles: the list, the GRA bundle's form and its ordered items."""
    from gcmc_desktop.services.requirement_bundles import list_bundles
    from gcmc_desktop.views.kit.record_dialog import RecordDialog
    from gcmc_desktop.views.requirement_bundles import BUNDLE_RECORD, bundles_window, items_window

    window = bundles_window(ctx)
    window.resize(1280, 800)
    window.show()
    page = window.page
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    page.table.selectRow(0)
    wait_for(lambda: True)
    paths = [save(window, out / "bundles.png")]
    window.close()
    gra = next(b for b in list_bundles(ctx, "GRA"))
    dialog = RecordDialog(ctx, BUNDLE_RECORD, gra["id"])
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    paths.append(save(dialog, out / "bundle_dialog.png"))
    dialog.close()
    items = items_window(ctx, bundle_id=gra["id"], bundle_name=gra["name"])
    items.show()
    wait_for(lambda: items.page.model.total is not None and not items.page.model.loading)
    items.page.table.selectRow(1)
    wait_for(lambda: True)
    paths.append(save(items, out / "bundle_items.png"))
    items.close()
    return paths


def render_filings(ctx: Context, path: Path) -> Path:
    """The firm's filings by due date, overdue and due-soon rows tinted."""
    from gcmc_desktop.views.filings import FILINGS
    from gcmc_desktop.views.kit.list_page import ListPage

    page = ListPage(ctx, FILINGS)
    page.resize(1280, 720)
    page.show()
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    wait_for(lambda: True)
    out = save(page, path)
    page.close()
    return out


def render_filing_dialog(ctx: Context, path: Path) -> Path:
    """Editing a filing: the period picked as a month / quarter / year."""
    from gcmc_desktop.views.filings import FILING_RECORD, FILINGS
    from gcmc_desktop.views.kit.list_page import ListPage
    from gcmc_desktop.views.kit.record_dialog import RecordDialog

    page = ListPage(ctx, FILINGS)
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    dialog = RecordDialog(ctx, FILING_RECORD, page.model.row_id(0))
    dialog.confirm = lambda *_: True
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    out = save(dialog, path)
    dialog.close()
    page.close()
    return out


def render_requests(ctx: Context, path: Path) -> Path:
    """The firm's service requests, newest first, the selected one's checklist beside them."""
    from gcmc_desktop.views.service_requests import requests_page

    page = requests_page(ctx)
    page.resize(1280, 720)
    page.show()
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    # A request with steps under way shows the checklist best.
    row = next(
        (
            r
            for r in range(page.model.rowCount())
            if page.model.row_values(r).get("status") == "in_progress"
        ),
        0,
    )
    page.table.selectRow(row)
    wait_for(lambda: page.checklist.sheet is not None)
    out = save(page, path)
    page.close()
    return out


def render_request_dialog(ctx: Context, path: Path) -> Path:
    """A new service request: client, business, service, one of its workflows, priority."""
    from gcmc_desktop.services.service_requests import service_choices
    from gcmc_desktop.views.kit.record_dialog import RecordDialog
    from gcmc_desktop.views.service_requests import REQUEST_RECORD

    dialog = RecordDialog(ctx, REQUEST_RECORD)
    dialog.confirm = lambda *_: True
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    service = dialog.fields["service_id"].widget
    first = service_choices(ctx)[0][1]
    service.setCurrentIndex(service.findData(first))
    template = dialog.fields["template_id"].widget
    wait_for(lambda: not dialog._loading_choices and template.count() > 1)
    template.setCurrentIndex(1)
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def render_client_dialog(ctx: Context, client_id: int, path: Path) -> Path:
    """The edit dialog after a save the service refused: the message sits under its field and
    everything typed is still there."""
    from gcmc_desktop.views.clients import CLIENT_RECORD
    from gcmc_desktop.views.kit.record_dialog import RecordDialog

    dialog = RecordDialog(ctx, CLIENT_RECORD, client_id)
    dialog.confirm = lambda *_: True
    dialog.show()
    wait_for(lambda: dialog.is_loaded)
    dialog.fields["tin"].widget.setText("12-345")
    dialog.fields["phone"].widget.setText("+592 226 4410")
    dialog.save()
    wait_for(lambda: dialog.field_error("tin") != "")
    dialog.adjustSize()
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def render_client_workspace(
    ctx: Context, client_id: int, path: Path, *, every_tab: bool = False
) -> Path:
    """The Audit tab with its before/after pane (and, with `every_tab`, the other tabs into
    <name>_overview.png and <name>_businesses.png)."""
    from gcmc_desktop.views.client_workspace import ClientWorkspace

    workspace = ClientWorkspace(ctx, client_id)
    workspace.resize(1100, 700)
    workspace.show()
    wait_for(lambda: workspace.title() != "")
    for model in (workspace.businesses.model, workspace.audit.model):
        wait_for(lambda model=model: model.total is not None and not model.loading)
    if every_tab:
        tabs = [(workspace.overview, "overview"), (workspace.businesses, "businesses")]
        tabs += [(t, n) for t, n in ((workspace.filings, "filings"), (workspace.recurring,
                 "recurring")) if t is not None]  # fmt: skip
        for tab, suffix in tabs:
            workspace.setCurrentWidget(tab)
            model = getattr(tab, "model", None)
            if model is not None:
                wait_for(lambda model=model: model.total is not None and not model.loading)
            wait_for(lambda: True)
            save(workspace, path.with_name(f"{path.stem}_{suffix}.png"))
    workspace.setCurrentWidget(workspace.audit)
    workspace.audit.table.selectRow(0)
    wait_for(lambda: workspace.audit.detail.rowCount() > 0)
    out = save(workspace, path)
    workspace.close()
    return out


def render_deadlines(ctx: Context, path: Path) -> Path:
    """The deadlines calendar on this month, at 1280x800, on the busiest day still to come of
    the shown month (or today) with its agenda."""
    from gcmc_desktop.views.deadlines import DeadlinesPage

    page = DeadlinesPage(ctx)
    page.resize(1280, 800)
    page.show()
    wait_for(lambda: not page.counts_loading)
    today = date.today()
    ahead = {d: n for d, n in page.counts.items() if d >= today and d.month == today.month}
    if ahead:
        page.show_day(max(ahead, key=lambda d: (ahead[d], -d.toordinal())))
    model = page.agenda.model
    wait_for(lambda: not page.counts_loading and model.total is not None and not model.loading)
    page.agenda.table.selectRow(0)
    wait_for(lambda: True)
    out = save(page, path)
    page.close()
    return out


def render_tasks(ctx: Context, out: Path) -> list[Path]:
    """The Tasks section at 1280x800: My tasks, then Team (overdue rows tinted)."""
    from gcmc_desktop.views.tasks import TasksPage

    page = TasksPage(ctx)
    page.resize(1280, 800)
    page.show()
    paths = []
    for tab, name in ((page.mine, "tasks_mine.png"), (page.team, "tasks_team.png")):
        page.setCurrentWidget(tab)
        wait_for(lambda tab=tab: tab.model.total is not None and not tab.model.loading)
        paths.append(save(page, out / name))
    page.close()
    return paths


def render_task_dialog(ctx: Context, path: Path) -> Path:
    """Editing a task of a client: assignee by name, the client's request and filing."""
    from sqlalchemy import select as sql_select

    from gcmc_desktop.models import Task
    from gcmc_desktop.views.kit.record_dialog import RecordDialog
    from gcmc_desktop.views.tasks import TASK_RECORD

    task_id = ctx.session.scalar(
        sql_select(Task.id).where(Task.filing_id.is_not(None)).order_by(Task.id).limit(1)
    )
    dialog = RecordDialog(ctx, TASK_RECORD, task_id)
    dialog.confirm = lambda *_: True
    dialog.show()
    wait_for(lambda: dialog.is_loaded and not dialog._loading_choices)
    dialog.adjustSize()
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def _conversation_client(ctx: Context) -> int:
    """The demo client whose conversation has the most messages."""
    from gcmc_desktop.models import Conversation, Message

    return ctx.session.scalar(
        select(Conversation.client_id)
        .join(Message, Message.conversation_id == Conversation.id)
        .group_by(Conversation.client_id)
        .order_by(func.count().desc(), Conversation.client_id)
        .limit(1)
    )


def render_messages(ctx: Context, path: Path) -> Path:
    """The Messages section in the main window: conversations (unread in bold, counted in the
    tab's title), the second one's thread, a reply being written."""
    from gcmc_desktop.views.main_window import MainWindow

    window = MainWindow(ctx)
    window.resize(1280, 800)
    window.show()
    wait_for(lambda: window.tabs.count() > 0)
    page = window.open_section("messages")
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    page.table.selectRow(1 if page.model.rowCount() > 1 else 0)
    wait_for(lambda: page.thread_pane.conversation is not None)
    page.thread_pane.compose.setPlainText("Thank you, we received it. We will file this week.")
    wait_for(lambda: window.tabs.tabText(window.tabs.currentIndex()) != "Messages", timeout=5)
    out = save(window, path)
    window.monitor.stop()
    window._stop_uploads()
    window.hide()
    return out


def render_conversation_dialog(ctx: Context, path: Path) -> Path:
    """New conversation: client, one of its requests, subject, first message."""
    from gcmc_desktop.views.kit.record_dialog import RecordDialog
    from gcmc_desktop.views.messages import CONVERSATION_RECORD

    client_id = _conversation_client(ctx)
    name = clients.get_client(ctx, client_id)["name"]
    dialog = RecordDialog(ctx, CONVERSATION_RECORD)
    dialog.confirm = lambda *_: True
    dialog.show()
    dialog.fields["client_id"].widget.set_value((name, client_id))
    dialog.fields["client_id"].widget.currentIndexChanged.emit(0)
    dialog.fields["subject"].widget.setText("Bank statements for the 2025 return")
    dialog.fields["body"].widget.setPlainText(
        "Good morning,\n\nplease send the bank statements for January to December 2025 so we "
        "can prepare the annual return."
    )
    wait_for(lambda: not dialog._loading_choices)
    requests = dialog.fields["service_request_id"].widget
    requests.setCurrentIndex(min(1, requests.count() - 1))
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def render_client_tasks(ctx: Context, path: Path) -> Path:
    """A client's Tasks tab: the staff's tasks and what the client is to do."""
    from sqlalchemy import select as sql_select

    from gcmc_desktop.models import ClientTask
    from gcmc_desktop.views.client_workspace import ClientWorkspace

    client_id = ctx.session.scalar(
        sql_select(ClientTask.client_id)
        .group_by(ClientTask.client_id)
        .order_by(func.count().desc(), ClientTask.client_id)
        .limit(1)
    )
    workspace = ClientWorkspace(ctx, client_id)
    workspace.resize(1280, 800)
    workspace.show()
    wait_for(lambda: workspace.title() != "")
    assert workspace.tasks is not None
    workspace.setCurrentWidget(workspace.tasks)
    for model in (workspace.tasks.staff.model, workspace.tasks.client.model):
        wait_for(lambda model=model: model.total is not None and not model.loading)
    wait_for(lambda: True)
    out = save(workspace, path)
    workspace.close()
    return out


def render_client_messages(ctx: Context, path: Path) -> Path:
    """A client workspace's Messages tab: the same page, narrowed to the client."""
    from gcmc_desktop.views.client_workspace import ClientWorkspace

    workspace = ClientWorkspace(ctx, _conversation_client(ctx))
    workspace.resize(1280, 800)
    workspace.show()
    assert workspace.messages is not None
    workspace.setCurrentWidget(workspace.messages)
    model = workspace.messages.model
    wait_for(lambda: workspace.title() != "" and model.total is not None and not model.loading)
    workspace.messages.table.selectRow(0)
    wait_for(lambda: workspace.messages.thread_pane.conversation is not None)
    # Opening the thread marked it read: the list's unread count goes once it has refreshed.
    wait_for(lambda: not model.loading and not model.row_values(0).get("unread"))
    out = save(workspace, path)
    workspace.close()
    return out


def sample_scores(ctx: Context) -> None:
    """Scores to show when the firm has none (the demo seed writes none and the recalculation
    engine is a separate part): one row per client in the desktop's breakdown form, built from
    the firm's own bundles, document types and filing types, plus two rows as the web platform
    writes them (levels high/low, its count-only breakdowns) to show the tolerant reading. A
    stand-in for the engine's run, written as the signed-in FirmAdmin (compliance:edit)."""
    from datetime import datetime

    from gcmc_desktop.models import ComplianceScore, DocumentType, FilingType, RequirementBundle
    from gcmc_desktop.services.compliance_breakdown import level_for

    session = ctx.session
    if session.scalar(select(func.count()).select_from(ComplianceScore)):
        return
    bundles = list(session.execute(select(RequirementBundle.id, RequirementBundle.name)))
    doc_types = list(session.scalars(select(DocumentType.name).order_by(DocumentType.id)))
    filing_types = list(session.scalars(select(FilingType.name).order_by(FilingType.id)))
    client_ids = list(session.scalars(select(Client.id).order_by(Client.id)))
    now = datetime.now(UTC).replace(tzinfo=None)
    months = ("January", "February", "March", "April", "May", "June")
    for n, client_id in enumerate(client_ids):
        items = []
        for k in range(n % 5):
            if k % 2 == 0 and bundles and doc_types:
                bundle_id, bundle = bundles[(n + k) % len(bundles)]
                doc = doc_types[(n * 3 + k) % len(doc_types)]
                items.append((-10, "bundle_item", f"{doc} missing (bundle: {bundle})", bundle_id))
            elif filing_types:
                filing = filing_types[(n + k) % len(filing_types)]
                items.append((-15, "filing_overdue", f"{filing} {months[k]} 2026 overdue", None))
        if n % 3 == 0 and doc_types:
            doc = doc_types[n % len(doc_types)]
            items.append((-5, "document_expiring", f"{doc} expires within 30 days", None))
        if n % 4 == 1:
            items.append((5, "bonus", "At least 75% of documents valid", None))
        score = max(0.0, min(100.0, 100.0 + sum(p for p, *_ in items)))
        breakdown: object = {
            "version": 1,
            "base": 100,
            "items": [
                {"points": p, "kind": kind, "text": text, "rule_id": None, "bundle_id": b,
                 "document_type_id": None, "filing_type_id": None, "document_id": None,
                 "filing_id": None}
                for p, kind, text, b in items
            ],
            "rules": [],
        }  # fmt: skip
        level = level_for(score)
        if n in (2, 7):  # as the web platform's API and nightly worker wrote them
            breakdown = {"documents": 1, "expiring": 1, "overdue": 0} if n == 2 else {
                "missing": 3, "expiring": 0, "overdue": 2}  # fmt: skip
            score, level = (85.0, "high") if n == 2 else (75.0, "medium")
        session.add(
            ComplianceScore(
                tenant_id=ctx.tenant_id,
                client_id=client_id,
                score_value=score,
                level=level,
                missing_count=sum(1 for i in items if i[1] == "bundle_item"),
                expiring_count=sum(1 for i in items if i[1] == "document_expiring"),
                overdue_filings_count=sum(1 for i in items if i[1] == "filing_overdue"),
                last_calculated_at=now,
                breakdown=breakdown,
            )
        )
    session.commit()


def render_compliance(ctx: Context, path: Path) -> Path:
    """The Compliance page at 1280x800: the distribution chart, the scores list (poorest first)
    and the breakdown of the first client with deductions."""
    from gcmc_desktop.views.compliance import CompliancePage

    page = CompliancePage(ctx)
    page.resize(1280, 800)
    page.show()
    model = page.list.model
    wait_for(lambda: model.total is not None and not model.loading and model.rowCount() > 0)
    wait_for(lambda: sum(page.chart.counts.values()) > 0)
    page.list.table.selectRow(min(2, model.rowCount() - 1))
    wait_for(lambda: page.breakdown.score is not None)
    out = save(page, path)
    page.close()
    return out


def render_audit(ctx: Context, path: Path) -> Path:
    """The Audit page at 1280x800: the firm's entries, newest first, the first update's
    before/after values beside them."""
    from gcmc_desktop.views.audit import AuditPage

    page = AuditPage(ctx)
    page.resize(1280, 800)
    page.show()
    model = page.model
    wait_for(lambda: model.total is not None and not model.loading and model.rowCount() > 0)
    column = model.query.column_index("action")
    rows = range(model.rowCount())
    row = next((r for r in rows if model.index(r, column).data() == "Update"), 0)
    page.table.selectRow(row)
    out = save(page, path)
    page.close()
    return out


def render_dashboard(ctx: Context, path: Path) -> Path:
    """The Dashboard at 1280x800: the figures (each opens its list) and the compliance chart."""
    from gcmc_desktop.views.dashboard import DashboardPage

    page = DashboardPage(ctx)
    page.resize(1280, 800)
    page.show()
    assert page.chart is not None
    wait_for(lambda: not page.loading and sum(page.chart.counts.values()) > 0)
    out = save(page, path)
    page.close()
    return out


def render_notifications(ctx: Context, path: Path) -> Path:
    """The Notifications section at 1280x800, after a reminder run over the demo data: the
    signed-in user's notifications, unread in bold, overdue and expired ones tinted; the
    first one read."""
    from gcmc_desktop.services.notifications import generate_reminders, mark_read
    from gcmc_desktop.views.notifications import NotificationsPage

    generate_reminders(ctx)
    page = NotificationsPage(ctx)
    page.resize(1280, 800)
    page.show()
    model = page.model
    # The first row itself, not a placeholder: the reminder run's change can refresh the list
    # just after its first page (the rows then show "…" until the page is read again).
    wait_for(lambda: model.total is not None and not model.loading and model.row_id(0) is not None)
    mark_read(ctx, [model.row_id(0)])
    page.refresh()  # the change bus would tell it in the application
    wait_for(lambda: not model.loading and model.row_id(0) is not None)
    page.table.selectRow(1 if model.rowCount() > 1 else 0)
    out = save(page, path)
    page.close()
    return out


def render_client_compliance(ctx: Context, path: Path) -> Path:
    """A client workspace's Compliance tab: score, level, breakdown and what to do next, for the
    client with the lowest score."""
    from gcmc_desktop.models import ComplianceScore
    from gcmc_desktop.views.client_workspace import ClientWorkspace

    client_id = ctx.session.scalar(
        select(ComplianceScore.client_id)
        .order_by(ComplianceScore.score_value, ComplianceScore.client_id)
        .limit(1)
    )
    workspace = ClientWorkspace(ctx, client_id)
    workspace.resize(1280, 800)
    workspace.show()
    assert workspace.compliance is not None
    workspace.setCurrentWidget(workspace.compliance)
    wait_for(lambda: workspace.title() != "" and workspace.compliance.score is not None)
    out = save(workspace, path)
    workspace.close()
    return out


def render_deleted_items(ctx: Context, keep_client: int, path: Path) -> Path:
    """Audit → Deleted items after a filing, a document and a client were deleted (not the
    client the other screens show)."""
    from gcmc_desktop.models import Document, Filing
    from gcmc_desktop.services import documents, filings
    from gcmc_desktop.views.trash import DeletedItemsPage

    session = ctx.session
    filing = session.scalar(select(Filing.id).where(Filing.client_id != keep_client).limit(1))
    if filing is not None:
        filings.delete_filing(ctx, filing)
    document = session.scalar(select(Document.id).where(Document.client_id != keep_client).limit(1))
    if document is not None:
        documents.delete_document(ctx, document)
    client = session.scalar(
        select(Client.id).where(Client.id != keep_client).order_by(Client.id.desc()).limit(1)
    )
    if client is not None:
        clients.delete_client(ctx, client)
    page = DeletedItemsPage(ctx)
    page.resize(1280, 800)
    page.show()
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    page.table.selectRow(0)
    out = save(page, path)
    page.close()
    return out


def render_report_preview(ctx: Context, out: Path) -> list[Path]:
    """The compliance report of the poorest client: its preview dialog at 1280x800, and page 1
    of the PDF itself as Qt's PDF renderer draws it."""
    from PySide6.QtCore import QSize

    from gcmc_desktop.models import ComplianceScore
    from gcmc_desktop.views.reports import ReportPreviewDialog

    client_id = ctx.session.scalar(
        select(ComplianceScore.client_id)
        .order_by(ComplianceScore.score_value, ComplianceScore.client_id)
        .limit(1)
    )
    dialog = ReportPreviewDialog(ctx, client_id, "compliance")
    dialog.resize(1280, 800)
    dialog.show()
    wait_for(lambda: dialog.pdf is not None, timeout=60)
    settle = time.monotonic() + 1.5  # QPdfView draws its pages in the background
    while time.monotonic() < settle:
        QApplication.processEvents()
        time.sleep(0.02)
    preview = save(dialog, out / "report_preview.png")
    size = dialog.document.pagePointSize(0)
    page = dialog.document.render(0, QSize(int(size.width() * 1.4), int(size.height() * 1.4)))
    page.save(str(out / "report_compliance.png"))
    print(f"wrote {out / 'report_compliance.png'}")
    dialog.close()
    return [preview, out / "report_compliance.png"]


def demo_client(ctx: Context) -> int:
    """The demo client with the most businesses, after a few recorded edits (for the Audit
    tab): the client itself, a new business, a change to it."""
    session = ctx.session
    client_id = session.scalar(
        select(ClientBusiness.client_id)
        .group_by(ClientBusiness.client_id)
        .order_by(func.count().desc(), ClientBusiness.client_id)
        .limit(1)
    ) or session.scalar(select(Client.id).order_by(Client.id).limit(1))
    current = clients.get_client(ctx, client_id)
    clients.update_client(
        ctx,
        client_id,
        {"risk_level": "medium" if current["risk_level"] != "medium" else "high",
         "notes": "Reviewed the GRA compliance certificate with the client."},
        current["updated_at"],
    )  # fmt: skip
    business = businesses.create_business(
        ctx,
        client_id,
        {
            "name": "Corentyne Marine Fuels",
            "registration_number": "BN-2019-04417",
            "registration_type": "Business name",
            "incorporation_date": date(2019, 6, 3),
            "country": "Guyana",
            "sector": "Shipping",
            "status": "Active",
        },
    )
    businesses.update_business(
        ctx,
        business["id"],
        {"status": "Dormant", "sector": "Oil & Gas Services"},
        business["updated_at"],
    )
    return client_id


def render_login(path: Path) -> Path:
    """The login dialog as a user first meets it on the demo database, after a wrong password."""
    from gcmc_desktop import settings as app_settings
    from gcmc_desktop.services.demo.seed import demo_credentials
    from gcmc_desktop.views.login_dialog import LoginDialog

    dialog = LoginDialog(
        app_settings.ConnectionProfile(last_email=FIRM_ADMIN),
        lambda _p, _g: None,
        demo_users=demo_credentials(True),
    )
    dialog.show()
    dialog.password_edit.setText("not-my-password")
    dialog.show_error(auth.BAD_CREDENTIALS)
    dialog.adjustSize()
    wait_for(lambda: True)
    out = save(dialog, path)
    dialog.close()
    return out


def render_main_window(ctx: Context, out: Path, client_id: int) -> list[Path]:
    """The main window on the clients list, then the documents list and a client's
    Documents tab."""
    from gcmc_desktop.views.main_window import MainWindow

    window = MainWindow(ctx)
    window.resize(1360, 820)
    window.show()
    wait_for(lambda: window.tabs.count() > 0)
    clients_page = window.open_section("clients")
    wait_for(lambda: clients_page.model.total is not None and not clients_page.model.loading)
    paths = [save(window, out / "main_window.png")]
    documents = window.open_section("documents")
    model = documents.model
    wait_for(lambda: model.total is not None and not model.loading)
    paths.append(save(window, out / "documents_list.png"))
    workspace = window.open_client(client_id)
    tab = workspace.widget(2)
    workspace.setCurrentWidget(tab)
    wait_for(lambda: tab.model.total is not None and not tab.model.loading)
    paths.append(save(window, out / "client_documents.png"))
    window.monitor.stop()
    window._stop_uploads()
    window.hide()
    return paths


def render_admin(ctx: Context, out: Path) -> list[Path]:
    """The Admin section at 1280x800, one screen per tab (Users, Roles & permissions, Firm,
    Plan). Signed in as a SuperAdmin the Firm tab lists every firm and Plan can change it."""
    from gcmc_desktop.views.admin import AdminPage

    page = AdminPage(ctx)
    page.resize(1280, 800)
    page.show()
    paths = []
    tabs = (
        (page.users, "admin_users.png"),
        (page.roles, "admin_roles.png"),
        (page.firm, "admin_firm.png"),
        (page.plan, "admin_plan.png"),
    )
    for tab, name in tabs:
        if tab is None:
            continue
        page.setCurrentWidget(tab)
        if tab is page.users:
            wait_for(lambda: page.users.model.total is not None and not page.users.model.loading)
        elif tab is page.roles:
            wait_for(lambda: page.roles.matrix_role is not None)
        elif tab is page.firm:
            wait_for(lambda: "…" not in page.firm.values["name"].text())
        else:
            wait_for(lambda: page.plan.summary is not None)
        QThreadPool.globalInstance().waitForDone()
        wait_for(lambda: True)
        paths.append(save(page, out / name))
    dialogs = []
    if page.users is not None:
        page.setCurrentWidget(page.users)
        dialogs.append((page.users.new_record(), "admin_user_dialog.png"))
    if page.firm is not None and page.firm.values:
        dialogs.append((page.firm.edit(), "admin_firm_dialog.png"))
    for dialog, name in dialogs:
        wait_for(lambda d=dialog: d.is_loaded and not d._loading_choices)
        paths.append(save(dialog, out / name))
        dialog.confirm = lambda *_a: True  # never a modal "discard?" box here
        dialog.reject()
    page.close()
    return paths


def render_database(ctx: Context, admin_url: URL, out: Path) -> Path:
    """Admin → Database at 1280x800 as on the embedded default: health, vacuum, backups (a
    backup folder of its own, empty)."""
    from gcmc_desktop.views.database_page import DatabasePage
    from gcmc_desktop.views.local_server import LocalServer

    backups = Path(tempfile.mkdtemp(prefix="gcmc-screens-backups-"))
    page = DatabasePage(ctx, server=LocalServer(admin_url, backups, None))
    page.resize(1280, 800)
    page.show()
    wait_for(lambda: page.report is not None)
    QThreadPool.globalInstance().waitForDone()
    wait_for(lambda: True)
    path = save(page, out)
    page.close()
    shutil.rmtree(backups, ignore_errors=True)
    return path


def over(window: QWidget, dialogs: list[tuple[QWidget, int, int]], path: Path) -> Path:
    """`window` with `dialogs` drawn on it, each over the one before and moved (dx, dy) from
    the centre (a grab of a window does not include the dialogs it opened)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QColor, QPainter

    picture = window.grab()
    painter = QPainter(picture)
    painter.fillRect(picture.rect(), QColor(0, 0, 0, 60))
    for dialog, dx, dy in dialogs:
        shot = dialog.grab()
        x = (picture.width() - shot.width()) // 2 + dx
        y = (picture.height() - shot.height()) // 2 + dy
        painter.fillRect(x + 4, y + 4, shot.width(), shot.height(), QColor(0, 0, 0, 70))
        painter.drawPixmap(QPoint(x, y), shot)
    painter.end()
    picture.save(str(path))
    print(f"wrote {path}")
    return path


def render_offline(ctx: Context, out: Path, password: str, offline=None) -> list[Path]:
    """Offline review (issue 18), as a user goes through it: three clients checked out from the
    clients list (the dialog with its estimate), the main window working on that copy (its
    banner; a client's workspace open), then, back online after a colleague changed the same
    client, the sync dialog showing the conflict field by field. `offline` stands in for the
    services (views/offline.py's OfflineServices); by default the real ones."""
    from gcmc_desktop.views import offline as offline_views
    from gcmc_desktop.views.main_window import MainWindow

    offline = offline or offline_views.services()
    window = MainWindow(ctx)
    window.resize(1280, 800)
    window.show()
    wait_for(lambda: window.tabs.count() > 0)
    page = window.open_section("clients")
    wait_for(lambda: page.model.total is not None and not page.model.loading)
    ids = [page.model.row_id(row) for row in range(3)]
    names = [str(page.model.row_values(row)["name"]) for row in range(3)]
    page.table.selectRow(0)
    for row in (1, 2):
        page.table.selectionModel().select(
            page.model.index(row, 0),
            page.table.selectionModel().SelectionFlag.Select
            | page.table.selectionModel().SelectionFlag.Rows,
        )
    dialog = offline_views.CheckoutDialog(
        ctx, ids, window, names=names, offline=offline, storage=window.storage
    )
    dialog.show()
    wait_for(lambda: dialog.estimate_value is not None)
    paths = [over(window, [(dialog, 0, 0)], out / "offline_checkout.png")]
    dialog.start()
    wait_for(lambda: dialog.result_value is not None or dialog.job is None, timeout=300)
    dialog.accept()
    copy = next(c for c in offline.copies() if c.email == ctx.email)

    # Offline: the same window on the copy's local replica.
    session = offline.open_offline(copy, ctx.email, password)
    offline_window = MainWindow(session.ctx, offline_session=session)
    offline_window.resize(1280, 800)
    offline_window.show()
    wait_for(lambda: offline_window.tabs.count() > 0)
    workspace = offline_window.open_client(ids[0])
    wait_for(lambda: bool(workspace.overview.values))
    offline_ctx = session.ctx
    current = clients.get_client(offline_ctx, ids[0])
    clients.update_client(
        offline_ctx, ids[0],
        {"notes": "Met at the GRA office: TIN certificate confirmed, VAT return to follow."},
        current["updated_at"],
    )  # fmt: skip
    wait_for(lambda: "GRA office" in workspace.overview.labels["notes"].text())
    paths.append(save(offline_window, out / "offline_window.png"))
    offline_window.monitor.stop()
    offline_window._stop_uploads()
    offline_window.close()  # the journal goes back into the encrypted copy
    offline_window.deleteLater()  # its pages stop reading from the replica, now gone
    from PySide6.QtCore import QEvent

    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QThreadPool.globalInstance().waitForDone()

    # Meanwhile, online, a colleague changed the same client's notes.
    current = clients.get_client(ctx, ids[0])
    clients.update_client(
        ctx, ids[0], {"notes": "Phoned: the client will bring the NIS card on Friday."},
        current["updated_at"],
    )  # fmt: skip
    copy = next(c for c in offline.copies() if c.email == ctx.email)
    sync = offline_views.SyncDialog(ctx, copy, window, offline=offline, storage=window.storage)
    sync.show()
    wait_for(lambda: sync.sync_button.isEnabled())
    sync.start()
    wait_for(lambda: sync.conflict_dialog is not None, timeout=120)
    conflict = sync.conflict_dialog
    paths.append(
        over(window, [(sync, -170, -150), (conflict, 120, 130)], out / "offline_sync_conflict.png")
    )
    if "notes" in conflict.choices:
        conflict.choose("notes", conflict.KEEP_MINE)
    conflict.merge_button.click()
    wait_for(lambda: sync.report is not None, timeout=120)
    sync.check_in()
    wait_for(lambda: "Checked in" in sync.summary_text.text(), timeout=60)
    sync.accept()
    window.monitor.stop()
    window._stop_uploads()
    window.hide()
    return paths


def render_all(
    ctx: Context, out: Path, *, every_tab: bool = False, admin_url: URL | None = None
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    client_id = demo_client(ctx)
    paths = [
        render_login(out / "login_dialog.png"),
        *render_main_window(ctx, out, client_id),
        render_clients_list(ctx, out / "clients_list.png"),
        render_client_dialog(ctx, client_id, out / "client_dialog.png"),
        render_document_types(ctx, out / "document_types.png"),
        render_service_catalog(ctx, out / "service_catalog.png"),
        render_service_dialog(ctx, out / "service_dialog.png"),
        render_template_dialog(ctx, out / "template_dialog.png"),
        *render_rule_sets(ctx, out),
        *render_bundles(ctx, out),
        render_filings(ctx, out / "filings_list.png"),
        render_filing_dialog(ctx, out / "filing_dialog.png"),
        render_client_workspace(ctx, client_id, out / "client_workspace.png", every_tab=every_tab),
        render_deadlines(ctx, out / "deadlines.png"),
        render_requests(ctx, out / "requests_list.png"),
        render_request_dialog(ctx, out / "request_dialog.png"),
        *render_tasks(ctx, out),
        render_task_dialog(ctx, out / "task_dialog.png"),
        render_client_tasks(ctx, out / "client_tasks.png"),
        render_messages(ctx, out / "messages.png"),
        render_conversation_dialog(ctx, out / "conversation_dialog.png"),
        render_client_messages(ctx, out / "client_workspace_messages.png"),
    ]
    sample_scores(ctx)
    paths += [
        render_compliance(ctx, out / "compliance.png"),
        render_client_compliance(ctx, out / "client_compliance.png"),
        render_dashboard(ctx, out / "dashboard.png"),
        render_notifications(ctx, out / "notifications.png"),
        *render_report_preview(ctx, out),
        *render_admin(ctx, out),
        *([render_database(ctx, admin_url, out / "admin_database.png")] if admin_url else []),
        render_audit(ctx, out / "audit.png"),
        *render_offline(ctx, out, demo_password(ctx.email)),
        # Last: it deletes demo records (kept in Deleted items) that earlier screens show.
        render_deleted_items(ctx, client_id, out / "deleted_items.png"),
    ]
    QThreadPool.globalInstance().waitForDone()
    return paths


# -- a database to show -----------------------------------------------------------------------


@contextlib.contextmanager
def demo_database(database_url: str | None) -> Iterator[URL]:
    """An administrator URL of a migrated database with the demo data and its login roles."""
    from gcmc_desktop.db import make_engine, migrate, session_factory, to_sqlalchemy_url
    from gcmc_desktop.services.demo.seed import demo_credentials, seed_demo
    from gcmc_desktop.services.users import ensure_login_roles

    if database_url:
        yield to_sqlalchemy_url(database_url)
        return
    from gcmc_desktop.db.embedded import ensure_database, server_url, start_server

    root = Path(tempfile.mkdtemp(prefix="gcmc-screens-"))
    server = start_server(root / "pgdata")
    try:
        admin = server_url(server)
        ensure_database(admin, "gcmc_screens")
        url = admin.set(database="gcmc_screens")
        engine = make_engine(url)
        migrate.upgrade(engine)
        with session_factory(engine)() as session:
            seed_demo(session)
            ensure_login_roles(session.connection(), demo_credentials(True))
            session.commit()
        engine.dispose()
        yield url
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def isolate_secrets_and_data() -> None:
    """The offline screens write an encrypted copy and its key: to a temporary data directory
    and an in-memory keyring, never the user's."""
    import keyring
    from keyring.backend import KeyringBackend

    secrets: dict[tuple[str, str], str] = {}

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return secrets.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            secrets[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            secrets.pop((service, username), None)

    keyring.set_keyring(MemoryKeyring())
    os.environ["GCMC_DATA_DIR"] = tempfile.mkdtemp(prefix="gcmc-screens-data-")


def demo_password(email: str) -> str:
    from gcmc_desktop.services.demo.seed import demo_credentials

    return next(p for _r, e, p in demo_credentials(True) if e == email)


def sign_in(admin_url: URL, email: str = FIRM_ADMIN) -> Context:
    from gcmc_desktop.services.demo.seed import demo_credentials

    password = next(p for _r, e, p in demo_credentials(True) if e == email)
    profile = auth.ServerProfile(
        database_url=admin_url.set(username=None, password=None), gateway_url=admin_url
    )
    return auth.open_context(auth.sign_in(profile, email, password))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a migrated, seeded database (administrator)")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--every-tab", action="store_true", help="also the other workspace tabs")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("GCMC Desktop")
    # Fresh settings (column layouts, window sizes), neither read from nor written to the user's.
    from PySide6.QtCore import QSettings

    settings_dir = tempfile.mkdtemp(prefix="gcmc-screens-")
    isolate_secrets_and_data()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    with demo_database(args.database_url) as url:
        ctx = sign_in(url)
        try:
            render_all(ctx, args.out, every_tab=args.every_tab, admin_url=url)
        finally:
            QThreadPool.globalInstance().waitForDone()
            from gcmc_desktop.views.table_model import query_pool

            query_pool().waitForDone()
            auth.sign_out(ctx)


if __name__ == "__main__":
    main()
