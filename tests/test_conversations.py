"""Conversations and messages on real PostgreSQL as signed-in staff (issue 13): posting and its
validation, unread counts for me and for the author, mark read touching only the others'
messages, a request of the same client, another firm's conversation, permissions per role, and
the lists."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Client, Conversation, Message, Service, ServiceRequest
from gcmc_desktop.services import auth, conversations, users
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.conversations import BODY_LENGTH, UNREAD_ONLY
from gcmc_desktop.services.errors import NotFoundError, PermissionDenied, ValidationError

from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("FirmAdmin", "Viewer")
SECOND = "second@alpha.gy"


@pytest.fixture
def firms(engine: Engine, database_url) -> Firms:
    built = build_firms(engine, database_url, ROLES)
    with engine.begin() as conn:
        users.create_user(conn, built.alpha, SECOND, "Second Admin", "FirmAdmin", PASSWORD)
    return built


def sign_in(firms: Firms, email: str) -> Context:
    return auth.open_context(auth.sign_in(firms.profile, email, PASSWORD))


@pytest.fixture
def pair(firms: Firms):
    """(me, other): two FirmAdmins of Alpha."""
    me = sign_in(firms, firms.emails["FirmAdmin"])
    other = sign_in(firms, SECOND)
    yield me, other
    me.session.close()
    other.session.close()


def owner_rows(engine: Engine, firms: Firms) -> dict[str, int]:
    """As the owner: a second Alpha client, a request of each Alpha client, a Beta
    conversation."""
    with session_factory(engine)() as s:
        other_client = Client(tenant_id=firms.alpha, name="Other Client", type="company")
        service = Service(tenant_id=firms.alpha, name="Work permit", category="immigration")
        s.add_all([other_client, service])
        s.flush()
        mine = ServiceRequest(
            tenant_id=firms.alpha, client_id=firms.alpha_client, service_id=service.id, status="new"
        )
        theirs = ServiceRequest(
            tenant_id=firms.alpha, client_id=other_client.id, service_id=service.id, status="new"
        )
        beta = Conversation(tenant_id=firms.beta, client_id=firms.beta_client, subject="Beta's")
        s.add_all([mine, theirs, beta])
        s.commit()
        return {
            "other_client": other_client.id,
            "request": mine.id,
            "foreign_request": theirs.id,
            "beta_conversation": beta.id,
        }


def test_posting_validates_bumps_activity_and_counts_unread_for_the_others(
    engine, firms, pair
) -> None:
    me, other = pair
    rows = owner_rows(engine, firms)
    made = conversations.create_conversation(
        me,
        {
            "client_id": firms.alpha_client,
            "service_request_id": rows["request"],
            "subject": "  Passport scan  ",
            "body": "  Please send the scan.  ",
        },
    )
    cid = made["id"]
    assert made["subject"] == "Passport scan"
    first = conversations.thread_page(me, cid).dicts()
    assert [m["body"] for m in first] == ["Please send the scan."]

    # Validation: empty, blank, NUL, too long — each a message on the body field.
    for bad, words in (
        ("", "Write a message"),
        ("   \n ", "Write a message"),
        ("a\x00b", "NUL"),
        ("x" * (BODY_LENGTH + 1), f"at most {BODY_LENGTH:,}"),
        (42, "Must be text"),
    ):
        with pytest.raises(ValidationError) as caught:
            conversations.post_message(me, cid, bad)
        assert words in caught.value.field_errors["body"]
    # Exactly the limit is fine.
    conversations.post_message(me, cid, "y" * BODY_LENGTH)

    before = conversations.get_conversation(me, cid)["updated_at"]
    posted = conversations.post_message(other, cid, "Sent it this morning.")
    assert posted["author_id"] == other.user_id
    after = conversations.get_conversation(me, cid)
    assert after["updated_at"] > before  # latest activity moves
    assert after["client_name"] == "Alpha Client" and "Work permit" in after["request"]
    # Unread for me: the other's one message; for the other: my two.
    assert after["unread"] == 1
    assert conversations.get_conversation(other, cid)["unread"] == 2
    assert conversations.unread_total(me) == 1
    assert conversations.unread_total(other) == 2

    # The list: latest activity first, unread per row, unread-only filter, search.
    older = conversations.create_conversation(
        other, {"client_id": rows["other_client"], "subject": "Old", "body": "hello"}
    )
    with engine.begin() as conn:  # make it clearly older
        conn.execute(
            text('UPDATE conversations SET "updatedAt" = "updatedAt" - interval \'1 day\' '
                 "WHERE id = :id"),
            {"id": older["id"]},
        )  # fmt: skip
    query = conversations.conversation_list_query(me)
    listed = query.first_page(me.session, 50).dicts()
    assert [r["id"] for r in listed] == [cid, older["id"]]
    assert [r["unread"] for r in listed] == [1, 1]
    assert listed[0]["client"] == "Alpha Client" and listed[0]["request"] == "Work permit"
    mine_only = conversations.conversation_list_query(other)
    mine_only.set_filter(UNREAD_ONLY, True)
    assert [r["id"] for r in mine_only.first_page(other.session, 50).dicts()] == [cid]
    query.set_search("other cli")
    assert [r["id"] for r in query.first_page(me.session, 50).dicts()] == [older["id"]]
    scoped = conversations.conversation_list_query(me, client_id=firms.alpha_client)
    assert scoped.count(me.session) == 1

    # Mark read: only the others' unread messages of that conversation, in one UPDATE.
    assert conversations.mark_read(me, cid) == 1
    assert conversations.mark_read(me, cid) == 0
    with session_factory(engine)() as s:
        read = dict(s.execute(select(Message.author_id, Message.read_at).where(
            Message.conversation_id == cid)).all())  # fmt: skip
        mine_unread = s.scalars(
            select(Message.read_at).where(
                Message.conversation_id == cid, Message.author_id == me.user_id
            )
        ).all()
        untouched = s.scalar(select(Message.read_at).where(Message.conversation_id == older["id"]))
    assert read[other.user_id] is not None
    assert mine_unread == [None, None]  # my own messages stay unread for the other
    assert untouched is None  # another conversation is not touched
    assert conversations.get_conversation(other, cid)["unread"] == 2

    # Opening a thread marks it read and shows the newest first, keyset-paged.
    conversation, page = conversations.open_thread(other, cid)
    assert conversation["unread"] == 0 and conversations.unread_total(other) == 0
    assert page.dicts()[0]["body"] == "Sent it this morning."
    first_two = conversations.thread_page(me, cid, limit=2)
    rest = conversations.thread_page(me, cid, first_two.cursor, limit=2)
    assert len(first_two) == 2 and not first_two.done
    assert [m["body"] for m in rest.dicts()] == ["Please send the scan."] and rest.done


def test_references_other_firms_and_permissions(engine, firms, pair) -> None:
    me, _other = pair
    rows = owner_rows(engine, firms)

    # The request must be that client's.
    with pytest.raises(ValidationError) as caught:
        conversations.create_conversation(
            me,
            {
                "client_id": firms.alpha_client,
                "service_request_id": rows["foreign_request"],
                "subject": "Mixed",
                "body": "hi",
            },
        )
    assert "this client's service requests" in caught.value.field_errors["service_request_id"]
    # Client, subject and first message are required, all reported at once.
    with pytest.raises(ValidationError) as caught:
        conversations.create_conversation(me, {"subject": " ", "body": ""})
    assert set(caught.value.field_errors) == {"client_id", "subject", "body"}
    # Another firm's client is not offered.
    with pytest.raises(ValidationError) as caught:
        conversations.create_conversation(
            me, {"client_id": firms.beta_client, "subject": "x", "body": "y"}
        )
    assert "client_id" in caught.value.field_errors
    # Another firm's conversation: not found, for every verb; nothing written.
    beta = rows["beta_conversation"]
    for call in (
        lambda: conversations.get_conversation(me, beta),
        lambda: conversations.post_message(me, beta, "sneaky"),
        lambda: conversations.thread_page(me, beta),
        lambda: conversations.delete_conversation(me, beta),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert conversations.mark_read(me, beta) == 0
    with session_factory(engine)() as s:
        assert s.scalar(select(Message.id).where(Message.conversation_id == beta)) is None

    # A conversation of my own: changing its request to another client's is refused; the
    # client cannot move.
    made = conversations.create_conversation(
        me, {"client_id": firms.alpha_client, "subject": "Ours", "body": "hi"}
    )
    with pytest.raises(ValidationError):
        conversations.update_conversation(
            me, made["id"], {"service_request_id": rows["foreign_request"]}, None
        )
    updated = conversations.update_conversation(
        me, made["id"], {"service_request_id": rows["request"]}, made["updated_at"]
    )
    assert updated["service_request_id"] == rows["request"]
    with pytest.raises(ValidationError):
        conversations.update_conversation(me, made["id"], {"client_id": rows["other_client"]}, None)
    assert "1 message" in conversations.deletion_impact(me, made["id"])

    # Roles: a Viewer holds no `messages` permission (DOMAIN.md §1) — refused by the service,
    # and by the database for a hand-written insert.
    viewer = sign_in(firms, firms.emails["Viewer"])
    try:
        for call in (
            lambda: conversations.conversation_list_query(viewer),
            lambda: conversations.post_message(viewer, made["id"], "hello"),
            lambda: conversations.create_conversation(
                viewer, {"client_id": firms.alpha_client, "subject": "x", "body": "y"}
            ),
            lambda: conversations.mark_read(viewer, made["id"]),
            lambda: conversations.unread_total(viewer),
        ):
            with pytest.raises(PermissionDenied):
                call()
        assert viewer.session.scalar(select(Conversation.id)) is None  # RLS: nothing visible
        with pytest.raises(PermissionDenied):  # the database's row-level security
            viewer.session.execute(
                text(
                    'INSERT INTO messages ("tenantId", "conversationId", "authorId", body) '
                    "VALUES (:t, :c, :a, 'it''s me')"
                ),
                {"t": firms.alpha, "c": made["id"], "a": viewer.user_id},
            )
        viewer.session.rollback()
    finally:
        viewer.session.close()

    conversations.delete_conversation(me, made["id"])
    with pytest.raises(NotFoundError):
        conversations.get_conversation(me, made["id"])
