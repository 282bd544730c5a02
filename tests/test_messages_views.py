"""Messages on real widgets and a real database, two FirmAdmins of one firm signed in as their
own PostgreSQL roles: the conversations list (latest activity first, unread in bold), opening a
thread marks it read, Ctrl+Enter posts (Enter is a new line), a message posted on another
workstation appears live in the open thread, and a new conversation from a client's tab."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtTest import QTest
from sqlalchemy import Engine, text

from gcmc_desktop.services import auth, conversations, users
from gcmc_desktop.services.changes import ChangeListener
from gcmc_desktop.services.context import Context
from gcmc_desktop.views.kit.bus import change_bus
from gcmc_desktop.views.messages import MessagesPage, messages_title
from gcmc_desktop.views.table_model import query_pool

from .security_fixtures import PASSWORD, Firms, build_firms

pytestmark = pytest.mark.gui
WAIT = 10_000
SECOND = "second@alpha.gy"


def drain() -> None:
    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


@pytest.fixture
def firms(engine: Engine, database_url) -> Iterator[Firms]:
    built = build_firms(engine, database_url, ("FirmAdmin",))
    with engine.begin() as conn:
        users.create_user(conn, built.alpha, SECOND, "Second Admin", "FirmAdmin", PASSWORD)
    yield built
    drain()


@pytest.fixture
def pair(firms: Firms) -> Iterator[tuple[Context, Context]]:
    """(me, other): my workstation listens to the firm's channel, as the main window does."""
    me = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    other = auth.open_context(auth.sign_in(firms.profile, SECOND, PASSWORD))
    listener = ChangeListener(me.session.get_bind().url, me.tenant_id, change_bus().publish)
    listener.start()
    assert listener.subscribed.wait(5)
    yield me, other
    listener.stop()
    drain()
    auth.sign_out(me)
    auth.sign_out(other)


def bodies(page: MessagesPage) -> list[str]:
    return [m["body"] for m in page.thread_pane.messages]


def test_opening_a_thread_marks_it_read_and_ctrl_enter_posts(qtbot, engine, firms, pair) -> None:
    me, other = pair
    older = conversations.create_conversation(
        other, {"client_id": firms.alpha_client, "subject": "Older", "body": "first"}
    )
    newer = conversations.create_conversation(
        other, {"client_id": firms.alpha_client, "subject": "Newer", "body": "Scan attached?"}
    )
    with engine.begin() as conn:
        conn.execute(
            text('UPDATE conversations SET "updatedAt" = "updatedAt" - interval \'1 day\' '
                 "WHERE id = :id"),
            {"id": older["id"]},
        )  # fmt: skip
    page = MessagesPage(me)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and page.model.row_loaded(1), timeout=WAIT)
    # Latest activity first; both unread for me: bold, and the tab title counts them.
    assert [page.model.row_id(r) for r in range(2)] == [newer["id"], older["id"]]
    assert page.model.index(0, 0).data(Qt.ItemDataRole.FontRole).bold()
    qtbot.waitUntil(lambda: page.unread == 2, timeout=WAIT)
    assert messages_title(page.unread) == "Messages (2)"

    # Selecting opens the thread beside the list. Opening it marks it read, which refreshes the
    # list; a refresh that lands first clears the selection, so select (again) until it shows.
    qtbot.waitUntil(
        lambda: page.select_id(newer["id"]) and bodies(page) == ["Scan attached?"], timeout=WAIT
    )
    assert "Scan attached?" in page.thread_pane.thread.toPlainText()
    assert "Second Admin" in page.thread_pane.thread.toPlainText()
    qtbot.waitUntil(lambda: conversations.get_conversation(me, newer["id"])["unread"] == 0)
    qtbot.waitUntil(lambda: page.unread == 1, timeout=WAIT)  # the other one is still unread
    qtbot.waitUntil(
        lambda: (
            page.model.row_id(0) == newer["id"]
            and page.model.index(0, 0).data(Qt.ItemDataRole.FontRole) is None
        ),
        timeout=WAIT,
    )
    assert conversations.get_conversation(other, newer["id"])["unread"] == 0  # nothing of mine

    compose, send = page.thread_pane.compose, page.thread_pane.send_button
    assert not send.isEnabled()  # nothing written yet
    compose.setFocus()
    QTest.keyClicks(compose, "Yes, received.")
    QTest.keyClick(compose, Qt.Key.Key_Return)  # Enter: a new line, not a send
    QTest.keyClicks(compose, "Thanks!")
    assert send.isEnabled() and compose.toPlainText() == "Yes, received.\nThanks!"
    QTest.keyClick(compose, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bodies(page)[-1:] == ["Yes, received.\nThanks!"], timeout=WAIT)
    assert compose.toPlainText() == "" and not send.isEnabled()
    assert "You" in page.thread_pane.thread.toPlainText()
    assert conversations.get_conversation(other, newer["id"])["unread"] == 1

    # A refused message keeps what was typed and says why.
    compose.setPlainText("x" * (conversations.BODY_LENGTH + 1))
    send.click()
    qtbot.waitUntil(lambda: "at most" in page.thread_pane.message.text(), timeout=WAIT)
    assert len(compose.toPlainText()) == conversations.BODY_LENGTH + 1

    # A draft stays with its conversation when another thread is opened.
    compose.setPlainText("half-written")
    # (The list refreshes itself meanwhile — opening a thread marks it read — so a row is
    # selected once it is loaded again.)
    qtbot.waitUntil(lambda: page.select_id(older["id"]), timeout=WAIT)
    qtbot.waitUntil(lambda: bodies(page) == ["first"], timeout=WAIT)
    assert compose.toPlainText() == ""
    qtbot.waitUntil(
        lambda: page.select_id(newer["id"]) and page.thread_pane.conversation_id == newer["id"],
        timeout=WAIT,
    )
    assert compose.toPlainText() == "half-written"


def test_a_message_from_another_workstation_appears_live(qtbot, firms, pair) -> None:
    me, other = pair
    made = conversations.create_conversation(
        me, {"client_id": firms.alpha_client, "subject": "Live", "body": "Anyone there?"}
    )
    page = MessagesPage(me, client_id=firms.alpha_client)  # a client's Messages tab
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.row_loaded(0), timeout=WAIT)
    assert page.table.isColumnHidden(page.model.query.column_index("client"))
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: bodies(page) == ["Anyone there?"], timeout=WAIT)

    conversations.post_message(other, made["id"], "Here <b>now</b> & ready")  # no F5
    qtbot.waitUntil(lambda: bodies(page)[-1:] == ["Here <b>now</b> & ready"], timeout=WAIT)
    assert "Here <b>now</b> & ready" in page.thread_pane.thread.toPlainText()  # escaped
    # Shown in an open thread: read at once.
    qtbot.waitUntil(
        lambda: conversations.get_conversation(me, made["id"])["unread"] == 0, timeout=WAIT
    )
