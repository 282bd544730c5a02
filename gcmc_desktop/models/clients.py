"""The firm's clients, their businesses, and client-portal access."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .auth import User
    from .documents import Document
    from .filings import Filing
    from .services import ServiceRequest


class Client(Base):
    __tablename__ = "clients"

    __table_args__ = (
        Index("clients_createdAt_idx", "createdAt"),
        Index("clients_tenantId_idx", "tenantId"),
        Index("clients_tenantId_riskLevel_idx", "tenantId", "riskLevel"),
        Index("clients_tenantId_sector_idx", "tenantId", "sector"),
        Index("clients_tenantId_type_idx", "tenantId", "type"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="clients_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    type: Mapped[str] = mapped_column("type", Text, nullable=False)
    email: Mapped[str | None] = mapped_column("email", Text, nullable=True)
    phone: Mapped[str | None] = mapped_column("phone", Text, nullable=True)
    address: Mapped[str | None] = mapped_column("address", Text, nullable=True)
    tin: Mapped[str | None] = mapped_column("tin", Text, nullable=True)
    nis_number: Mapped[str | None] = mapped_column("nisNumber", Text, nullable=True)
    sector: Mapped[str | None] = mapped_column("sector", Text, nullable=True)
    risk_level: Mapped[str | None] = mapped_column("riskLevel", Text, nullable=True)
    notes: Mapped[str | None] = mapped_column("notes", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    businesses: Mapped[list[ClientBusiness]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )
    documents: Mapped[list[Document]] = relationship(back_populates="client", passive_deletes="all")
    filings: Mapped[list[Filing]] = relationship(back_populates="client", passive_deletes="all")
    service_requests: Mapped[list[ServiceRequest]] = relationship(
        back_populates="client", passive_deletes="all"
    )


class ClientBusiness(Base):
    __tablename__ = "client_businesses"

    __table_args__ = (
        Index("client_businesses_clientId_idx", "clientId"),
        Index("client_businesses_status_idx", "status"),
        Index("client_businesses_tenantId_clientId_idx", "tenantId", "clientId"),
        Index("client_businesses_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="client_businesses_tenantId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    client_id: Mapped[int] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id",
            name="client_businesses_clientId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    registration_number: Mapped[str | None] = mapped_column(
        "registrationNumber", Text, nullable=True
    )
    registration_type: Mapped[str | None] = mapped_column("registrationType", Text, nullable=True)
    incorporation_date: Mapped[datetime | None] = mapped_column(
        "incorporationDate", Timestamp, nullable=True
    )
    country: Mapped[str | None] = mapped_column("country", Text, nullable=True)
    sector: Mapped[str | None] = mapped_column("sector", Text, nullable=True)
    status: Mapped[str | None] = mapped_column("status", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client] = relationship(back_populates="businesses")


class ClientPortalAccess(Base):
    __tablename__ = "client_portal_access"

    __table_args__ = (
        Index("client_portal_access_tenantId_clientId_idx", "tenantId", "clientId"),
        Index(
            "client_portal_access_tenantId_userId_clientId_key",
            "tenantId",
            "userId",
            "clientId",
            unique=True,
        ),
        Index("client_portal_access_tenantId_userId_idx", "tenantId", "userId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="client_portal_access_tenantId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    user_id: Mapped[str] = mapped_column(
        "userId",
        Text,
        ForeignKey(
            "user._id",
            name="client_portal_access_userId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    client_id: Mapped[int] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id",
            name="client_portal_access_clientId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )

    client: Mapped[Client] = relationship()
    user: Mapped[User] = relationship()
