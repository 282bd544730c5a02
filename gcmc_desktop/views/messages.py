"""Messages: the firm's conversations with clients on the left (unread ones in bold), the
selected thread on the right with a compose box (Ctrl+Enter sends, Enter is a new line), and
the New conversation form. The same page, narrowed to one client, is the Messages tab of each
client workspace.

New messages from other workstations arrive through the change bus (the database announces
every committed `message`); an open thread shows them at once and marks them read.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent, QTextOption
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..services.changes import ChangeSet
from ..services.client_list import find_clients
from ..services.context import Context
from ..services.conversations import (
    BODY_LENGTH,
    THREAD_PAGE,
    UNREAD_ONLY,
    conversation_list_query,
    create_conversation,
    delete_conversation,
    deletion_impact,
    get_conversation,
    open_thread,
    post_message,
    request_choices,
    thread_page,
    unread_total,
    update_conversation,
)
from ..services.errors import ServiceError
from ..services.paging import Cursor
from .filing_fields import client_form
from .kit.bus import change_bus
from .kit.fields import FieldSpec
from .kit.list_page import DeleteSpec, FilterSpec, ListPage, ListSpec
from .kit.messages import banner, show_in
from .kit.operations import run_operation
from .kit.record_dialog import RecordSpec

Values = dict[str, Any]
LISTENS_TO = frozenset({"conversation", "message", "client", "service_request"})
OWN_BACKGROUND = "#dbeafe"  # my messages: light blue, on the right
OTHER_BACKGROUND = "#f1f5f9"  # the others': light grey, on the left


# -- the New conversation form ----------------------------------------------------------------


def _requests(ctx: Context, known: Any) -> list[tuple[str, int]]:
    return request_choices(ctx, known.get("client_id"))


CONVERSATION_RECORD = RecordSpec(
    noun="conversation",
    entity="conversation",
    fields=(
        FieldSpec(
            "client_id",
            "Client",
            "lookup",
            required=True,
            lookup=find_clients,
            placeholder="Type a client's name, TIN or NIS number",
            create_only=True,
            scoped=True,
        ),
        FieldSpec(
            "service_request_id",
            "Service request",
            "choice",
            blank="(none)",
            load=_requests,
            depends_on=("client_id",),
        ),
        FieldSpec("subject", "Subject", required=True, placeholder="e.g. Documents for the VAT"),
        FieldSpec(
            "body",
            "First message",
            "text",
            required=True,
            height=140,
            max_length=BODY_LENGTH,
            create_only=True,
        ),
    ),
    load=get_conversation,
    create=create_conversation,
    update=update_conversation,
    to_form=client_form,  # the client as the lookup shows it: (name, id)
    min_width=560,
)


# -- the conversations list -------------------------------------------------------------------


def _has_unread(values: Any) -> bool:
    return bool(values.get("unread"))


CONVERSATIONS = ListSpec(
    noun="conversation",
    plural="conversations",
    module="messages",
    query=lambda ctx, scope: conversation_list_query(ctx, client_id=scope.get("client_id")),
    listens_to=LISTENS_TO,
    record=CONVERSATION_RECORD,
    delete=DeleteSpec(delete_conversation, impact=deletion_impact),
    search_hint="Search subject or client  (Ctrl+F)",
    filters=(
        FilterSpec(
            "unread", "All conversations", "Unread filter", (("Unread only", {UNREAD_ONLY: True}),)
        ),
    ),
    widths={"client": 150, "subject": 170, "unread": 55, "updated_at": 132},
    sort="updated_at",
    descending=True,
    new_label="New conversation…",
    opens=lambda _ctx, conversation_id: conversation_id,
    hidden=lambda scope: ("client",) if scope.get("client_id") is not None else (),
    bold=_has_unread,
    name_key="subject",
    state_key="messages/header",
)


# -- the thread -------------------------------------------------------------------------------


def local_time(value: datetime | None) -> str:
    """A stored (naive UTC) time in the user's local time."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M")


class ComposeBox(QPlainTextEdit):
    """Where a message is written: Ctrl+Enter sends, Enter starts a new line."""

    send = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.send.emit()
            return
        super().keyPressEvent(event)


class ThreadPane(QWidget):
    """The detail pane of the conversations list (`show_record(conversation_id)`): the
    messages in time order (author and local time on each, mine on the right in blue), older
    ones on request, and the compose box."""

    posted = Signal(int)  # a message of mine was saved (its id)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.conversation_id: int | None = None
        self.conversation: Values | None = None
        self.messages: list[Values] = []  # shown, oldest first
        self._older: Cursor | None = None  # where earlier messages continue, None: all shown
        self._generation = 0
        self._drafts: dict[int, str] = {}
        self._unseen = False  # shown while hidden: not marked read yet
        self.sending = False

        self.heading = QLabel("Select a conversation to read it.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.detail = QLabel()
        self.detail.setStyleSheet("color: #475569;")
        self.message = banner()
        self.earlier_button = QPushButton("Show earlier messages")
        self.earlier_button.setAutoDefault(False)
        self.earlier_button.hide()
        self.earlier_button.clicked.connect(self.load_earlier)
        self.thread = QTextBrowser()
        self.thread.setOpenLinks(False)
        # Long words and pasted links wrap too, never widen the pane.
        self.thread.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.thread.setAccessibleName("Messages")
        self.compose = ComposeBox()
        self.compose.setPlaceholderText("Write a message…  (Ctrl+Enter sends, Enter: new line)")
        self.compose.setFixedHeight(84)
        self.compose.setTabChangesFocus(True)
        self.compose.setAccessibleName("New message")
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send the message (Ctrl+Enter)")
        self.send_button.setAutoDefault(False)
        can_post = ctx.can("messages", "create")
        self.compose.setVisible(can_post)
        self.send_button.setVisible(can_post)

        compose_row = QHBoxLayout()
        compose_row.addWidget(self.compose, 1)
        compose_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.detail)
        layout.addWidget(self.message)
        layout.addWidget(self.earlier_button)
        layout.addWidget(self.thread, 1)
        layout.addLayout(compose_row)

        self.compose.textChanged.connect(self._update_send)
        self.compose.send.connect(self.send)
        self.send_button.clicked.connect(self.send)
        change_bus().subscribe(self, {"message", "conversation"}, self._on_changes)
        self._update_send()

    @property
    def record_id(self) -> int | None:
        return self.conversation_id

    # -- showing ------------------------------------------------------------------------------

    def show_record(self, conversation_id: int | None) -> None:
        if conversation_id != self.conversation_id:
            self.messages = []
            self._older = None
            # A draft stays with its conversation: switching threads never posts it elsewhere
            # nor loses it.
            if self.conversation_id is not None and self.compose.toPlainText().strip():
                self._drafts[self.conversation_id] = self.compose.toPlainText()
            self.compose.setPlainText(self._drafts.pop(conversation_id, ""))
        self.conversation_id = conversation_id
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Messages that arrived while the thread was out of sight are marked read only now.
        if self.conversation_id is not None and self._unseen:
            self.reload()

    def focus_compose(self, *_args: Any) -> None:
        if self.compose.isVisible():
            self.compose.setFocus(Qt.FocusReason.OtherFocusReason)

    def reload(self) -> None:
        """Read the conversation and its newest messages (as many as are shown, at least a
        page), marking the others' unread ones read."""
        self._generation += 1
        generation, conversation_id = self._generation, self.conversation_id
        show_in(self.message, "")
        if conversation_id is None:
            self.conversation = None
            self._show([], None, "Select a conversation to read it.", "")
            return
        limit = max(THREAD_PAGE, len(self.messages))
        # Only a thread someone can see is read (not one in a hidden tab).
        seen = self.isVisible()
        self._unseen = not seen
        run_operation(
            self.ctx,
            lambda wctx: open_thread(wctx, conversation_id, limit=limit, mark=seen),
            owner=self,
            on_done=lambda result: self._loaded(generation, *result),
            on_error=lambda error: self._failed(generation, error),
        )

    def load_earlier(self) -> None:
        conversation_id, after = self.conversation_id, self._older
        if conversation_id is None or after is None:
            return
        generation = self._generation
        run_operation(
            self.ctx,
            lambda wctx: thread_page(wctx, conversation_id, after),
            owner=self,
            on_done=lambda page: self._earlier(generation, page),
            on_error=lambda error: show_in(self.message, error.message),
        )

    def _loaded(self, generation: int, conversation: Values, page: Any) -> None:
        if generation != self._generation:
            return
        self.conversation = conversation
        subject = conversation.get("subject") or "(no subject)"
        about = " · ".join(
            part for part in (conversation.get("client_name"), conversation.get("request")) if part
        )
        self._show(list(reversed(page.dicts())), None if page.done else page.cursor, subject, about)

    def _earlier(self, generation: int, page: Any) -> None:
        if generation != self._generation:
            return
        older = list(reversed(page.dicts()))
        self._show(older + self.messages, None if page.done else page.cursor, keep_scroll=True)

    def _failed(self, generation: int, error: ServiceError) -> None:
        if generation == self._generation:
            show_in(self.message, error.message)

    def _show(
        self,
        messages: list[Values],
        older: Cursor | None,
        heading: str | None = None,
        detail: str | None = None,
        *,
        keep_scroll: bool = False,
    ) -> None:
        if heading is not None:
            self.heading.setText(heading)
        if detail is not None:
            self.detail.setText(detail)
            self.detail.setVisible(bool(detail))
        self.messages = messages
        self._older = older
        self.earlier_button.setVisible(older is not None)
        bar = self.thread.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        self.thread.setHtml(self.thread_html())
        bar.setValue(bar.maximum() - from_bottom if keep_scroll else bar.maximum())
        self._update_send()

    def thread_html(self) -> str:
        """The messages as rich text: mine indented from the left in blue, the others' from
        the right in grey; bodies escaped, their line breaks kept."""
        if self.conversation_id is not None and not self.messages:
            return "<p><i>No messages yet.</i></p>"
        blocks = []
        for message in self.messages:
            mine = message.get("author_id") == self.ctx.user_id
            author = "You" if mine else (message.get("author") or "Former member")
            when = local_time(message.get("created_at"))
            body = html.escape(message.get("body") or "").replace("\n", "<br>")
            margins = "margin-left:60px; margin-right:4px" if mine else "margin-right:60px"
            colour = OWN_BACKGROUND if mine else OTHER_BACKGROUND
            blocks.append(
                f'<table width="100%" cellpadding="6" style="{margins}; margin-bottom:6px">'
                f'<tr><td style="background-color:{colour}">'
                f"<b>{html.escape(author)}</b> "
                f'<span style="color:#64748b">{html.escape(when)}</span><br>{body}'
                "</td></tr></table>"
            )
        return "".join(blocks)

    def _on_changes(self, changes: ChangeSet) -> None:
        if self.conversation_id is None:
            return
        ids = changes.ids("conversation")
        if changes.touches({"message"}) or ids is None or self.conversation_id in ids:
            self.reload()

    # -- posting ------------------------------------------------------------------------------

    def _update_send(self) -> None:
        self.send_button.setEnabled(
            self.conversation_id is not None
            and not self.sending
            and bool(self.compose.toPlainText().strip())
        )

    def send(self) -> None:
        """Post what the compose box holds; it is cleared only once the message is saved."""
        conversation_id, text = self.conversation_id, self.compose.toPlainText()
        if conversation_id is None or not text.strip() or self.sending:
            return
        self.sending = True
        self._update_send()
        show_in(self.message, "")

        def done(message: Values) -> None:
            self.sending = False
            if self.compose.toPlainText() == text:
                self.compose.clear()
            self._update_send()
            self.posted.emit(message["id"])

        def failed(error: ServiceError) -> None:
            self.sending = False
            self._update_send()
            show_in(self.message, error.message)

        run_operation(
            self.ctx,
            lambda wctx: post_message(wctx, conversation_id, text),
            owner=self,
            on_done=done,
            on_error=failed,
        )


# -- the page ---------------------------------------------------------------------------------


class MessagesPage(ListPage):
    """The conversations list with the thread beside it. `unreadChanged(n)` reports how many
    messages are unread for me (the section's tab shows it)."""

    unreadChanged = Signal(int)

    def __init__(self, ctx: Context, parent: QWidget | None = None, **scope: Any) -> None:
        self.thread_pane = ThreadPane(ctx)
        super().__init__(ctx, CONVERSATIONS, parent, detail=self.thread_pane, **scope)
        self.unread = 0
        self.opened.connect(self.thread_pane.focus_compose)
        change_bus().subscribe(self, {"message", "conversation"}, lambda _c: self.count_unread())
        self.count_unread()

    def count_unread(self) -> None:
        run_operation(self.ctx, unread_total, owner=self, on_done=self._unread_counted)

    def _unread_counted(self, total: int) -> None:
        if total != self.unread:
            self.unread = total
            self.unreadChanged.emit(total)


def messages_title(unread: int) -> str:
    return f"Messages ({unread:,})" if unread else "Messages"
