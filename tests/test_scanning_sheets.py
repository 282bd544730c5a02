"""Cover sheets from where the need for a document shows (issue 17), on real widgets and a real
database as a signed-in FirmAdmin: "Cover sheet…" in a request's checklist prints sheets for
the client and the step's document types; "Cover sheet for a new version…" in a document's
detail prints a sheet naming the document, and a scan behind it is filed as that document's
next version (not a new document)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gcmc_desktop.models import Document, DocumentVersion
from gcmc_desktop.services import auth
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.errors import NotFoundError
from gcmc_desktop.services.intake.codes import cover
from gcmc_desktop.services.intake.cover_sheets import new_version_sheet, write_sheets
from gcmc_desktop.services.intake.pages import page_sheets
from gcmc_desktop.services.intake.review import ReviewQueue
from gcmc_desktop.services.intake.station import process_scan
from gcmc_desktop.services.outbox import Outbox
from gcmc_desktop.services.storage import LocalFolderStorage
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms
from .test_intake import degrade, scan_pdf, text_page_pdf
from .test_service_requests import add_document, new_request, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.gui
WAIT = 20_000


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    yield build_firms(engine, database_url, ("FirmAdmin",))
    drain()


@pytest.fixture
def admin(firms: Firms) -> Iterator[Context]:
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    yield ctx
    drain()
    auth.sign_out(ctx)


def test_cover_sheets_from_a_request_step(qtbot, firms, admin, world, tmp_path) -> None:  # noqa: F811
    from gcmc_desktop.views.request_checklist import RequestChecklist

    request_id = new_request(admin, firms, world)["id"]
    pane = RequestChecklist(admin)
    qtbot.addWidget(pane)
    pane.resize(1280, 800)
    pane.show()
    opened: list = []
    real = pane.open_cover_sheets
    pane.open_cover_sheets = lambda *args: opened.append(real(*args)) or opened[-1]
    pane.show_record(request_id)
    qtbot.waitUntil(lambda: pane.sheet is not None, timeout=WAIT)
    tree = pane.tree
    tree.setCurrentItem(tree.topLevelItem(0))  # "Collect documents" requires none
    assert not pane.cover_button.isEnabled() and pane.cover_sheets() is None
    tree.setCurrentItem(tree.topLevelItem(1))  # needs a TIN certificate, missing
    assert pane.cover_button.isEnabled()
    pane.grab().save("/tmp/request_checklist_cover.png")
    pane.cover_button.click()
    assert len(opened) == 1
    dialog = opened[0]
    qtbot.waitUntil(lambda: dialog.type_box.findData(world["tin"]) >= 0, timeout=WAIT)
    assert dialog.type_box.currentData() == world["tin"]  # preset for more sheets
    assert dialog.client_box.value() == firms.alpha_client
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [
        "Alpha Client — TIN certificate"
    ]
    assert dialog.print_button.isDefault() and dialog.save_button.isEnabled()
    dialog.grab().save("/tmp/cover_sheet_from_step.png")
    saved = dialog.save_pdf(tmp_path / "step.pdf")
    assert saved is not None
    assert page_sheets(saved) == [cover(firms.alpha, firms.alpha_client, world["tin"])]
    # The document row itself selected: a sheet for that one type.
    tree.setCurrentItem(tree.topLevelItem(1).child(0))
    assert [d["type_id"] for d in pane.cover_sheet_types()] == [world["tin"]]
    dialog.close()


def test_a_new_version_cover_sheet_files_a_new_version(
    qtbot,
    firms,
    admin,
    world,  # noqa: F811
    engine,
    tmp_path: Path,
) -> None:
    from gcmc_desktop.views.document_detail import DocumentDetail

    document_id = add_document(engine, firms, world["tin"])
    store = tmp_path / "store"
    store.mkdir()
    storage = LocalFolderStorage(store)
    detail = DocumentDetail(admin, storage)
    qtbot.addWidget(detail)
    detail.resize(1280, 800)
    detail.show()
    opened: list = []
    real = detail.open_cover_sheets
    detail.open_cover_sheets = lambda sheet: opened.append(real(sheet)) or opened[-1]
    assert not detail.cover_button.isEnabled()
    detail.show_document(document_id)
    qtbot.waitUntil(lambda: detail.rows != [], timeout=WAIT)
    assert detail.cover_button.isEnabled()
    detail.grab().save("/tmp/document_detail_cover.png")
    detail.cover_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT)
    dialog = opened[0]
    assert dialog.sheets[0].code == cover(
        firms.alpha, firms.alpha_client, world["tin"], document_id
    )
    assert dialog.list.item(0).text() == "Alpha Client — TIN certificate — new version of “TIN”"
    dialog.grab().save("/tmp/cover_sheet_new_version.png")
    sheet_pdf = dialog.save_pdf(tmp_path / "version.pdf")
    dialog.close()

    # The scan behind the sheet becomes version 2 of the same document.
    scan = scan_pdf(
        [degrade(sheet_pdf, 200, 3), degrade(text_page_pdf("TIN renewed"), 200, -1)],
        tmp_path / "scan.pdf",
    )
    result = process_scan(
        admin,
        scan,
        outbox=Outbox(tmp_path / "outbox"),
        storage=storage,
        review=ReviewQueue(tmp_path / "review"),
        ocr=False,
    )
    assert [f.document_id for f in result.filed] == [document_id] and not result.review
    with Session(engine) as s:
        versions = s.scalar(select(func.count()).where(DocumentVersion.document_id == document_id))
        documents = s.scalar(select(func.count()).where(Document.document_type_id == world["tin"]))
    assert (versions, documents) == (2, 1)

    # A sheet naming a document of another client goes to review, not to that document.
    wrong = cover(firms.alpha, firms.alpha_client + 10_000, world["tin"], document_id)
    scan = scan_pdf(
        [
            degrade(write_sheets([dialog.sheets[0].__class__(wrong)], tmp_path / "w.pdf"), 150, 2),
            degrade(text_page_pdf("Wrong"), 150, 0),
        ],
        tmp_path / "wrong.pdf",
    )
    result = process_scan(
        admin,
        scan,
        outbox=Outbox(tmp_path / "outbox"),
        storage=storage,
        review=ReviewQueue(tmp_path / "review"),
        ocr=False,
    )
    assert not result.filed and len(result.review) == 1
    # Another firm's document (row-level security) and a missing one: a clear refusal.
    with Session(engine) as s:
        beta_doc = s.scalar(select(Document.id).where(Document.tenant_id == firms.beta))
    for other in [beta_doc or 2_000_000_000, 2_000_000_001]:
        with pytest.raises(NotFoundError):
            new_version_sheet(admin, other)
