"""Staff tasks and client (portal) tasks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .auth import User
    from .clients import Client
    from .filings import Filing
    from .services import ServiceRequest


class Task(Base):
    __tablename__ = "tasks"

    __table_args__ = (
        Index("tasks_assignedToId_idx", "assignedToId"),
        Index("tasks_assignedToId_status_dueDate_idx", "assignedToId", "status", "dueDate"),
        Index("tasks_clientId_idx", "clientId"),
        Index("tasks_dueDate_idx", "dueDate"),
        Index("tasks_filingId_idx", "filingId"),
        Index("tasks_priority_idx", "priority"),
        Index("tasks_serviceRequestId_idx", "serviceRequestId"),
        Index("tasks_status_idx", "status"),
        Index("tasks_tenantId_assignedToId_idx", "tenantId", "assignedToId"),
        Index("tasks_tenantId_assignedToId_status_idx", "tenantId", "assignedToId", "status"),
        Index("tasks_tenantId_idx", "tenantId"),
        Index("tasks_tenantId_status_dueDate_idx", "tenantId", "status", "dueDate"),
        Index("tasks_tenantId_status_idx", "tenantId", "status"),
        Index("tasks_updatedAt_idx", "updatedAt"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="tasks_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    client_id: Mapped[int | None] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id", name="tasks_clientId_fkey", ondelete="SET NULL", onupdate="CASCADE"
        ),
        nullable=True,
    )
    service_request_id: Mapped[int | None] = mapped_column(
        "serviceRequestId",
        Integer,
        ForeignKey(
            "service_requests.id",
            name="tasks_serviceRequestId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    filing_id: Mapped[int | None] = mapped_column(
        "filingId",
        Integer,
        ForeignKey(
            "filings.id", name="tasks_filingId_fkey", ondelete="SET NULL", onupdate="CASCADE"
        ),
        nullable=True,
    )
    title: Mapped[str] = mapped_column("title", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    status: Mapped[str] = mapped_column("status", Text, nullable=False)
    priority: Mapped[str | None] = mapped_column("priority", Text, nullable=True)
    due_date: Mapped[datetime | None] = mapped_column("dueDate", Timestamp, nullable=True)
    assigned_to_id: Mapped[str | None] = mapped_column(
        "assignedToId",
        Text,
        ForeignKey(
            "user._id", name="tasks_assignedToId_fkey", ondelete="SET NULL", onupdate="CASCADE"
        ),
        nullable=True,
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client | None] = relationship()
    service_request: Mapped[ServiceRequest | None] = relationship()
    filing: Mapped[Filing | None] = relationship()
    assigned_to: Mapped[User | None] = relationship()


class ClientTask(Base):
    __tablename__ = "client_tasks"

    __table_args__ = (
        Index("client_tasks_clientId_idx", "clientId"),
        Index("client_tasks_dueDate_idx", "dueDate"),
        Index("client_tasks_serviceRequestId_idx", "serviceRequestId"),
        Index("client_tasks_status_idx", "status"),
        Index("client_tasks_tenantId_clientId_idx", "tenantId", "clientId"),
        Index("client_tasks_tenantId_idx", "tenantId"),
        Index("client_tasks_tenantId_status_idx", "tenantId", "status"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="client_tasks_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    client_id: Mapped[int] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id", name="client_tasks_clientId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    service_request_id: Mapped[int | None] = mapped_column(
        "serviceRequestId",
        Integer,
        ForeignKey(
            "service_requests.id",
            name="client_tasks_serviceRequestId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    title: Mapped[str] = mapped_column("title", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    status: Mapped[str] = mapped_column("status", Text, nullable=False)
    due_date: Mapped[datetime | None] = mapped_column("dueDate", Timestamp, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column("completedAt", Timestamp, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client] = relationship()
    service_request: Mapped[ServiceRequest | None] = relationship()
