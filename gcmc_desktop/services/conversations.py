"""Conversations with clients and their messages (conversations, messages), guarded by the
`messages` permissions (DOMAIN.md §1: only SuperAdmin holds them on the platform; the desktop
convention grants FirmAdmin `messages:*`).

A conversation belongs to a client and optionally to one of that client's service requests.
Posting a message bumps the conversation's `updatedAt`, so lists sorted by it show the latest
activity first. Unread (DOMAIN.md §2) = `readAt IS NULL` and written by someone else; "mark
read" sets `readAt` on the others' unread messages of one conversation in one UPDATE. Counting
them per conversation is an index range of `messages(conversationId, readAt)`.

The database enforces the rest for staff connections (migration 0006): row-level security per
command (view/create/edit/delete on `messages`), the firm of every referenced client, request
and conversation, and that a message's author is the connected user.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy import update as sql_update

from ..models import Client, Conversation, Message, Service, ServiceRequest, User, utcnow
from . import crud, records
from .changes import note_changes
from .context import Context, require
from .errors import ValidationError
from .paging import ColumnSpec, Cursor, Page, PagedQuery

MODULE = "messages"
# Long enough for any letter a client is sent; a pasted document belongs in Documents.
BODY_LENGTH = 20_000
SUBJECT_LENGTH = records.NAME_LENGTH
THREAD_PAGE = 200  # messages per page of a thread, newest first

CONVERSATION_RULES: dict[str, records.FieldRule] = {
    "client_id": records.FieldRule("integer"),
    "service_request_id": records.FieldRule("integer"),
    "subject": records.FieldRule(max_length=SUBJECT_LENGTH),
}
# The first message of a new conversation comes with it.
NEW_CONVERSATION_RULES = {**CONVERSATION_RULES, "body": records.FieldRule(max_length=None)}


# --------------------------------------------------------------------------------------------
# Validation


def clean_body(body: Any) -> str:
    """A message body as stored: trimmed, not empty, no NUL or broken characters, at most
    BODY_LENGTH characters. Raises ValidationError on the "body" field."""
    value, problem = records.check_text(body, records.FieldRule(max_length=None))
    if problem is None and value is None:
        problem = "Write a message first."
    if problem is None and len(value) > BODY_LENGTH:
        problem = (
            f"A message can be at most {BODY_LENGTH:,} characters (this one has "
            f"{len(value):,}); attach long texts as a document instead."
        )
    if problem is not None:
        raise ValidationError(field_errors={"body": problem})
    return value


def validate_conversation(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check conversation fields (and a new one's first message, "body")."""
    errors: dict[str, str] = {}
    rules = CONVERSATION_RULES if partial else NEW_CONVERSATION_RULES
    cleaned = records.clean_fields(data, rules, "conversation", errors=errors)
    if not partial and cleaned.get("client_id") is None:
        errors.setdefault("client_id", "Choose the client this conversation is with.")
    if (not partial or "subject" in cleaned) and not cleaned.get("subject"):
        errors.setdefault("subject", "Enter the conversation's subject.")
    if "body" in rules and "body" not in errors:
        try:
            cleaned["body"] = clean_body(cleaned.get("body", data.get("body")))
        except ValidationError as exc:
            errors.update(exc.field_errors)
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _check_request(ctx: Context, client_id: int | None, request_id: int | None) -> None:
    """The request, if any, must be one of the conversation's client's (in this firm)."""
    if request_id is None:
        return
    owner = ctx.session.scalar(
        select(ServiceRequest.client_id).where(ServiceRequest.id == request_id)
    )
    if owner is None or owner != client_id:
        raise ValidationError(
            field_errors={"service_request_id": "Choose one of this client's service requests."}
        )


def _check_create(ctx: Context, values: dict[str, Any]) -> None:
    exists_client = ctx.session.scalar(select(Client.id).where(Client.id == values["client_id"]))
    if exists_client is None:
        raise ValidationError(field_errors={"client_id": "Choose one of the firm's clients."})
    _check_request(ctx, values["client_id"], values.get("service_request_id"))


def _check_update(ctx: Context, conversation_id: int, values: dict[str, Any]) -> None:
    if "client_id" in values:
        raise ValidationError(
            field_errors={"client_id": "A conversation stays with its client; start a new one."}
        )
    if "service_request_id" in values:
        current = records.get(ctx, Conversation, conversation_id)
        _check_request(ctx, current.client_id, values["service_request_id"])


# Get, update (subject, request) and delete go the kit's way; creating adds the first message in
# the same transaction (below).
CONVERSATIONS = crud.Entity(Conversation, MODULE, validate_conversation, check_update=_check_update)


# --------------------------------------------------------------------------------------------
# Conversations


def _unread_condition(me: str) -> Any:
    return and_(
        Message.conversation_id == Conversation.id,
        Message.read_at.is_(None),
        Message.author_id != me,
    )


def _unread_count(me: str) -> Any:
    return (
        select(func.count())
        .select_from(Message)
        .where(_unread_condition(me))
        .correlate(Conversation)
        .scalar_subquery()
    )


def request_label(service_name: str | None, request_id: int | None) -> str:
    if request_id is None:
        return ""
    return f"{service_name or 'Service request'} (#{request_id})"


def get_conversation(ctx: Context, conversation_id: int) -> dict[str, Any]:
    """The conversation as plain data, with its client's name, its request's label and how
    many messages are unread for me."""
    values = CONVERSATIONS.get(ctx, conversation_id)
    row = ctx.session.execute(
        select(Client.name, Service.name, _unread_count(ctx.user_id))
        .select_from(Conversation)
        .outerjoin(Client, Client.id == Conversation.client_id)
        .outerjoin(ServiceRequest, ServiceRequest.id == Conversation.service_request_id)
        .outerjoin(Service, Service.id == ServiceRequest.service_id)
        .where(Conversation.id == conversation_id)
    ).one()
    values["client_name"] = row[0]
    values["request"] = request_label(row[1], values["service_request_id"])
    values["unread"] = int(row[2])
    return values


def create_conversation(
    ctx: Context, data: dict[str, Any], client_id: int | None = None
) -> dict[str, Any]:
    """A new conversation with its first message (`data["body"]`), in one transaction.
    `client_id` is the workspace's client when the dialog is opened inside one."""
    require(ctx, MODULE, "create")
    data = dict(data)
    if client_id is not None:
        data["client_id"] = client_id
    values = validate_conversation(data, partial=False)
    body = values.pop("body")
    _check_create(ctx, values)
    now = utcnow()
    with records.guarded(ctx.session):
        conversation = Conversation(
            tenant_id=ctx.tenant_id, created_at=now, updated_at=now, **values
        )
        ctx.session.add(conversation)
        ctx.session.flush()
        ctx.session.add(
            Message(
                tenant_id=ctx.tenant_id,
                conversation_id=conversation.id,
                author_id=ctx.user_id,
                body=body,
                created_at=now,
            )
        )
        ctx.session.commit()
    return records.snapshot(conversation)


def update_conversation(
    ctx: Context,
    conversation_id: int,
    changes: dict[str, Any],
    expected_updated_at: datetime | None,
) -> dict[str, Any]:
    """Change the subject or the request (the client stays)."""
    return CONVERSATIONS.update(ctx, conversation_id, changes, expected_updated_at)


def deletion_impact(ctx: Context, conversation_id: int) -> str:
    require(ctx, MODULE, "delete")
    records.get(ctx, Conversation, conversation_id)
    count = int(
        ctx.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == conversation_id)
        )
        or 0
    )
    return f"This also deletes its {count:,} message{'' if count == 1 else 's'}."


def delete_conversation(ctx: Context, conversation_id: int) -> None:
    CONVERSATIONS.delete(ctx, conversation_id)


UNREAD_ONLY = "unread_only"


def conversation_list_query(ctx: Context, client_id: int | None = None) -> PagedQuery:
    """The firm's conversations (or one client's), latest activity first: client, subject,
    unread count (for me), last activity, request. Filters: `client_id`, `unread_only`
    (True: with unread messages for me). Search over subject and client name."""
    require(ctx, MODULE, "view")
    me = ctx.user_id
    columns = (
        ColumnSpec("client", "Client", Client.name),
        ColumnSpec("subject", "Subject", Conversation.subject),
        ColumnSpec(
            "unread",
            "Unread",
            _unread_count(me).label("unread"),
            sortable=False,
            nullable=False,
            formatter=lambda n: str(n) if n else "",
        ),
        ColumnSpec("updated_at", "Last activity", Conversation.updated_at),
        ColumnSpec(
            "request",
            "Request",
            Service.name,
            formatter=lambda name: name or "",
        ),
    )
    base = (
        select(Conversation)
        .outerjoin(Client, Client.id == Conversation.client_id)
        .outerjoin(ServiceRequest, ServiceRequest.id == Conversation.service_request_id)
        .outerjoin(Service, Service.id == ServiceRequest.service_id)
        .where(Conversation.tenant_id == ctx.tenant_id)
    )
    if client_id is not None:
        base = base.where(Conversation.client_id == client_id)
    return PagedQuery(
        base,
        columns,
        search_columns=(Conversation.subject, Client.name),
        filter_columns={"client_id": Conversation.client_id},
        filter_predicates={
            UNREAD_ONLY: lambda on: (
                exists().where(_unread_condition(me)) if on else Conversation.id.is_not(None)
            )
        },
        id_column=Conversation.id,
        sort_key="updated_at",
        descending=True,
    )


def unread_total(ctx: Context) -> int:
    """How many messages of the firm's conversations are unread for me."""
    require(ctx, MODULE, "view")
    return int(
        ctx.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.tenant_id == ctx.tenant_id,
                Message.read_at.is_(None),
                Message.author_id != ctx.user_id,
            )
        )
        or 0
    )


def request_choices(ctx: Context, client_id: int | None) -> list[tuple[str, int]]:
    """(label, id) of a client's service requests, newest first, for the request picker."""
    require(ctx, MODULE, "view")
    if client_id is None:
        return []
    rows = ctx.session.execute(
        select(Service.name, ServiceRequest.id, ServiceRequest.status)
        .select_from(ServiceRequest)
        .outerjoin(Service, Service.id == ServiceRequest.service_id)
        .where(ServiceRequest.client_id == client_id)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    )
    return [(request_label(name, request_id), request_id) for name, request_id, _s in rows]


# --------------------------------------------------------------------------------------------
# Messages


MESSAGE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("created_at", "Sent", Message.created_at),
    ColumnSpec("author", "From", User.name, sortable=False),
    ColumnSpec("author_id", "Author id", Message.author_id, sortable=False),
    ColumnSpec("body", "Message", Message.body, sortable=False),
    ColumnSpec("read_at", "Read", Message.read_at, sortable=False),
)


def message_list_query(ctx: Context, conversation_id: int) -> PagedQuery:
    """One conversation's messages, newest first (a keyset range of the
    (conversationId, createdAt) index); a thread shows each page reversed."""
    require(ctx, MODULE, "view")
    base = (
        select(Message)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.tenant_id == ctx.tenant_id, Message.conversation_id == conversation_id)
    )
    return PagedQuery(
        base, MESSAGE_COLUMNS, id_column=Message.id, sort_key="created_at", descending=True
    )


def thread_page(
    ctx: Context, conversation_id: int, after: Cursor | None = None, limit: int = THREAD_PAGE
) -> Page:
    """A page of the conversation's messages, newest first; `after` continues with older
    ones. NotFoundError when the conversation is not the firm's (or gone)."""
    require(ctx, MODULE, "view")
    records.get(ctx, Conversation, conversation_id)
    query = message_list_query(ctx, conversation_id)
    if after is None:
        return query.first_page(ctx.session, limit)
    return query.next_page(ctx.session, after, limit)


def post_message(ctx: Context, conversation_id: int, body: Any) -> dict[str, Any]:
    """Add my message to a conversation and bump its last activity; the message as plain
    data."""
    require(ctx, MODULE, "create")
    text = clean_body(body)
    records.get(ctx, Conversation, conversation_id)
    now = utcnow()
    with records.guarded(ctx.session):
        message = Message(
            tenant_id=ctx.tenant_id,
            conversation_id=conversation_id,
            author_id=ctx.user_id,
            body=text,
            created_at=now,
        )
        ctx.session.add(message)
        # A plain UPDATE: a role that may post but not edit conversations (row-level security
        # then matches no row) still posts; its conversation just keeps its place.
        bumped = ctx.session.scalars(
            sql_update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(updated_at=now)
            .returning(Conversation.id)
            .execution_options(synchronize_session=False)
        ).all()
        note_changes(ctx.session, "conversation", "updated", bumped)
        ctx.session.commit()
    return records.snapshot(message)


def mark_read(ctx: Context, conversation_id: int) -> int:
    """Set `readAt` on the others' unread messages of the conversation (one UPDATE); how many
    it marked. My own messages are never touched: their `readAt` says whether the others
    have read them. A role without `messages:edit` marks nothing (the database would refuse)."""
    require(ctx, MODULE, "view")
    if not ctx.can(MODULE, "edit"):
        return 0
    with records.guarded(ctx.session):
        marked = ctx.session.scalars(
            sql_update(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.read_at.is_(None),
                Message.author_id != ctx.user_id,
            )
            .values(read_at=utcnow())
            .returning(Message.id)
            .execution_options(synchronize_session=False)
        ).all()
        note_changes(ctx.session, "message", "updated", marked)
        ctx.session.commit()
    return len(marked)


def open_thread(
    ctx: Context, conversation_id: int, limit: int = THREAD_PAGE, *, mark: bool = True
) -> tuple[dict[str, Any], Page]:
    """What opening a thread shows: the conversation and its newest `limit` messages, after
    marking the others' unread ones read (with `mark`: the thread is in sight)."""
    conversation = get_conversation(ctx, conversation_id)
    if mark and conversation["unread"]:
        mark_read(ctx, conversation_id)
        conversation["unread"] = 0
    return conversation, thread_page(ctx, conversation_id, limit=limit)
