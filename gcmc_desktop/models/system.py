"""Conversations and messages, notifications, and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .auth import User
    from .clients import Client
    from .services import ServiceRequest


class Conversation(Base):
    __tablename__ = "conversations"

    __table_args__ = (
        Index("conversations_clientId_idx", "clientId"),
        Index("conversations_createdAt_idx", "createdAt"),
        Index("conversations_serviceRequestId_idx", "serviceRequestId"),
        Index("conversations_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="conversations_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    client_id: Mapped[int | None] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id",
            name="conversations_clientId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    service_request_id: Mapped[int | None] = mapped_column(
        "serviceRequestId",
        Integer,
        ForeignKey(
            "service_requests.id",
            name="conversations_serviceRequestId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    subject: Mapped[str | None] = mapped_column("subject", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client | None] = relationship()
    service_request: Mapped[ServiceRequest | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        order_by="Message.created_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Message(Base):
    __tablename__ = "messages"

    __table_args__ = (
        Index("messages_authorId_idx", "authorId"),
        Index("messages_conversationId_createdAt_idx", "conversationId", "createdAt"),
        Index("messages_conversationId_idx", "conversationId"),
        Index("messages_conversationId_readAt_idx", "conversationId", "readAt"),
        Index("messages_createdAt_idx", "createdAt"),
        Index("messages_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column("tenantId", Integer, nullable=False)
    conversation_id: Mapped[int] = mapped_column(
        "conversationId",
        Integer,
        ForeignKey(
            "conversations.id",
            name="messages_conversationId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    author_id: Mapped[str] = mapped_column(
        "authorId",
        Text,
        ForeignKey(
            "user._id", name="messages_authorId_fkey", ondelete="SET NULL", onupdate="CASCADE"
        ),
        nullable=False,
    )
    body: Mapped[str] = mapped_column("body", Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    read_at: Mapped[datetime | None] = mapped_column("readAt", Timestamp, nullable=True)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()


class Notification(Base):
    __tablename__ = "notifications"

    __table_args__ = (
        Index("notifications_channelStatus_idx", "channelStatus"),
        Index("notifications_createdAt_idx", "createdAt"),
        Index(
            "notifications_recipientUserId_channelStatus_idx", "recipientUserId", "channelStatus"
        ),
        Index("notifications_recipientUserId_idx", "recipientUserId"),
        Index("notifications_tenantId_idx", "tenantId"),
        Index("notifications_tenantId_recipientUserId_idx", "tenantId", "recipientUserId"),
        Index("notifications_type_idx", "type"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="notifications_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    recipient_user_id: Mapped[str] = mapped_column(
        "recipientUserId",
        Text,
        ForeignKey(
            "user._id",
            name="notifications_recipientUserId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    type: Mapped[str] = mapped_column("type", Text, nullable=False)
    channel_status: Mapped[str] = mapped_column("channelStatus", Text, nullable=False)
    message: Mapped[str] = mapped_column("message", Text, nullable=False)
    meta: Mapped[Any | None] = mapped_column("metadata", JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )

    recipient: Mapped[User] = relationship()


class AuditLog(Base):
    __tablename__ = "audit_logs"

    __table_args__ = (
        Index("audit_logs_action_idx", "action"),
        Index("audit_logs_actorUserId_idx", "actorUserId"),
        Index("audit_logs_clientId_idx", "clientId"),
        Index("audit_logs_createdAt_idx", "createdAt"),
        Index("audit_logs_entityType_idx", "entityType"),
        Index("audit_logs_tenantId_actorUserId_idx", "tenantId", "actorUserId"),
        Index("audit_logs_tenantId_createdAt_idx", "tenantId", "createdAt"),
        Index("audit_logs_tenantId_entityType_idx", "tenantId", "entityType"),
        Index("audit_logs_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="audit_logs_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    actor_user_id: Mapped[str | None] = mapped_column(
        "actorUserId",
        Text,
        ForeignKey(
            "user._id", name="audit_logs_actorUserId_fkey", ondelete="SET NULL", onupdate="CASCADE"
        ),
        nullable=True,
    )
    client_id: Mapped[int | None] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id", name="audit_logs_clientId_fkey", ondelete="SET NULL", onupdate="CASCADE"
        ),
        nullable=True,
    )
    entity_type: Mapped[str] = mapped_column("entityType", Text, nullable=False)
    entity_id: Mapped[int] = mapped_column("entityId", Integer, nullable=False)
    action: Mapped[str] = mapped_column("action", Text, nullable=False)
    changes: Mapped[Any | None] = mapped_column("changes", JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    ip_address: Mapped[str | None] = mapped_column("ipAddress", Text, nullable=True)
    user_agent: Mapped[str | None] = mapped_column("userAgent", Text, nullable=True)

    actor: Mapped[User | None] = relationship()
    client: Mapped[Client | None] = relationship()
