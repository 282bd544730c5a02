"""Filing types, filings to the authorities, their documents, recurring schedules."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .clients import Client, ClientBusiness
    from .documents import Document


class FilingType(Base):
    __tablename__ = "filing_types"

    __table_args__ = (
        Index("filing_types_authority_idx", "authority"),
        Index("filing_types_frequency_idx", "frequency"),
        Index("filing_types_tenantId_code_key", "tenantId", "code", unique=True),
        Index("filing_types_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="filing_types_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    code: Mapped[str] = mapped_column("code", Text, nullable=False)
    authority: Mapped[str] = mapped_column("authority", Text, nullable=False)
    frequency: Mapped[str] = mapped_column("frequency", Text, nullable=False)
    default_due_day: Mapped[int | None] = mapped_column("defaultDueDay", Integer, nullable=True)
    default_due_month: Mapped[int | None] = mapped_column("defaultDueMonth", Integer, nullable=True)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    filings: Mapped[list[Filing]] = relationship(
        back_populates="filing_type", passive_deletes="all"
    )


class Filing(Base):
    __tablename__ = "filings"

    __table_args__ = (
        Index("filings_clientBusinessId_idx", "clientBusinessId"),
        Index("filings_clientId_idx", "clientId"),
        Index("filings_createdAt_idx", "createdAt"),
        Index("filings_filingTypeId_idx", "filingTypeId"),
        Index("filings_periodEnd_idx", "periodEnd"),
        Index("filings_status_idx", "status"),
        Index("filings_submissionDate_idx", "submissionDate"),
        Index("filings_tenantId_idx", "tenantId"),
        Index("filings_tenantId_status_idx", "tenantId", "status"),
        Index("filings_tenantId_status_periodEnd_idx", "tenantId", "status", "periodEnd"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="filings_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    client_id: Mapped[int] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id", name="filings_clientId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    client_business_id: Mapped[int | None] = mapped_column(
        "clientBusinessId",
        Integer,
        ForeignKey(
            "client_businesses.id",
            name="filings_clientBusinessId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    filing_type_id: Mapped[int] = mapped_column(
        "filingTypeId",
        Integer,
        ForeignKey(
            "filing_types.id",
            name="filings_filingTypeId_fkey",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    period_start: Mapped[datetime | None] = mapped_column("periodStart", Timestamp, nullable=True)
    period_end: Mapped[datetime | None] = mapped_column("periodEnd", Timestamp, nullable=True)
    period_label: Mapped[str | None] = mapped_column("periodLabel", Text, nullable=True)
    status: Mapped[str] = mapped_column("status", Text, nullable=False)
    reference_number: Mapped[str | None] = mapped_column("referenceNumber", Text, nullable=True)
    tax_amount: Mapped[float | None] = mapped_column("taxAmount", Double, nullable=True)
    penalties: Mapped[float | None] = mapped_column("penalties", Double, nullable=True)
    interest: Mapped[float | None] = mapped_column("interest", Double, nullable=True)
    total: Mapped[float | None] = mapped_column("total", Double, nullable=True)
    submission_date: Mapped[datetime | None] = mapped_column(
        "submissionDate", Timestamp, nullable=True
    )
    approval_date: Mapped[datetime | None] = mapped_column("approvalDate", Timestamp, nullable=True)
    internal_notes: Mapped[str | None] = mapped_column("internalNotes", Text, nullable=True)
    ai_summary: Mapped[str | None] = mapped_column("aiSummary", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client] = relationship(back_populates="filings")
    client_business: Mapped[ClientBusiness | None] = relationship()
    filing_type: Mapped[FilingType] = relationship(back_populates="filings")
    document_links: Mapped[list[FilingDocument]] = relationship(
        back_populates="filing", cascade="all, delete-orphan", passive_deletes=True
    )


class FilingDocument(Base):
    __tablename__ = "filing_documents"

    __table_args__ = (
        Index("filing_documents_documentId_idx", "documentId"),
        Index("filing_documents_filingId_documentId_key", "filingId", "documentId", unique=True),
        Index("filing_documents_filingId_idx", "filingId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    filing_id: Mapped[int] = mapped_column(
        "filingId",
        Integer,
        ForeignKey(
            "filings.id",
            name="filing_documents_filingId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    document_id: Mapped[int] = mapped_column(
        "documentId",
        Integer,
        ForeignKey(
            "documents.id",
            name="filing_documents_documentId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )

    filing: Mapped[Filing] = relationship(back_populates="document_links")
    document: Mapped[Document] = relationship()


class RecurringFiling(Base):
    __tablename__ = "recurring_filings"

    __table_args__ = (
        Index("recurring_filings_active_idx", "active"),
        Index("recurring_filings_clientBusinessId_idx", "clientBusinessId"),
        Index("recurring_filings_clientId_idx", "clientId"),
        Index("recurring_filings_filingTypeId_idx", "filingTypeId"),
        Index("recurring_filings_nextRunAt_idx", "nextRunAt"),
        Index("recurring_filings_tenantId_active_nextRunAt_idx", "tenantId", "active", "nextRunAt"),
        Index("recurring_filings_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="recurring_filings_tenantId_fkey",
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
            name="recurring_filings_clientId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    client_business_id: Mapped[int | None] = mapped_column(
        "clientBusinessId",
        Integer,
        ForeignKey(
            "client_businesses.id",
            name="recurring_filings_clientBusinessId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    filing_type_id: Mapped[int] = mapped_column(
        "filingTypeId",
        Integer,
        ForeignKey(
            "filing_types.id",
            name="recurring_filings_filingTypeId_fkey",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    schedule: Mapped[str] = mapped_column("schedule", Text, nullable=False)
    active: Mapped[bool] = mapped_column(
        "active", Boolean, server_default=text("true"), nullable=False
    )
    last_run_at: Mapped[datetime | None] = mapped_column("lastRunAt", Timestamp, nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column("nextRunAt", Timestamp, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client] = relationship()
    client_business: Mapped[ClientBusiness | None] = relationship()
    filing_type: Mapped[FilingType] = relationship()
