"""Document types, documents and their file versions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .clients import Client, ClientBusiness


class DocumentType(Base):
    __tablename__ = "document_types"

    __table_args__ = (
        Index("document_types_category_idx", "category"),
        Index("document_types_tenantId_idx", "tenantId"),
        Index(
            "document_types_tenantId_name_category_key", "tenantId", "name", "category", unique=True
        ),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="document_types_tenantId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    category: Mapped[str] = mapped_column("category", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    tags: Mapped[list[str] | None] = mapped_column("tags", ARRAY(Text), nullable=True)
    authority: Mapped[str | None] = mapped_column("authority", Text, nullable=True)
    meta: Mapped[Any | None] = mapped_column("metadata", JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    documents: Mapped[list[Document]] = relationship(
        back_populates="document_type", passive_deletes="all"
    )


class Document(Base):
    __tablename__ = "documents"

    __table_args__ = (
        Index("documents_clientBusinessId_idx", "clientBusinessId"),
        Index("documents_clientId_idx", "clientId"),
        Index("documents_clientId_status_idx", "clientId", "status"),
        Index("documents_createdAt_idx", "createdAt"),
        Index("documents_documentTypeId_idx", "documentTypeId"),
        Index("documents_latestVersionId_key", "latestVersionId", unique=True),
        Index("documents_status_idx", "status"),
        Index("documents_tenantId_clientId_idx", "tenantId", "clientId"),
        Index("documents_tenantId_idx", "tenantId"),
        Index("documents_tenantId_status_idx", "tenantId", "status"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="documents_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    client_id: Mapped[int] = mapped_column(
        "clientId",
        Integer,
        ForeignKey(
            "clients.id", name="documents_clientId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    client_business_id: Mapped[int | None] = mapped_column(
        "clientBusinessId",
        Integer,
        ForeignKey(
            "client_businesses.id",
            name="documents_clientBusinessId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    document_type_id: Mapped[int] = mapped_column(
        "documentTypeId",
        Integer,
        ForeignKey(
            "document_types.id",
            name="documents_documentTypeId_fkey",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    title: Mapped[str] = mapped_column("title", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    status: Mapped[str] = mapped_column("status", Text, nullable=False)
    authority: Mapped[str | None] = mapped_column("authority", Text, nullable=True)
    tags: Mapped[list[str] | None] = mapped_column("tags", ARRAY(Text), nullable=True)
    latest_version_id: Mapped[int | None] = mapped_column(
        "latestVersionId",
        Integer,
        ForeignKey(
            "document_versions.id",
            name="documents_latestVersionId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
            use_alter=True,
        ),
        nullable=True,
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client] = relationship(back_populates="documents")
    client_business: Mapped[ClientBusiness | None] = relationship()
    document_type: Mapped[DocumentType] = relationship(back_populates="documents")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        foreign_keys="DocumentVersion.document_id",
        order_by="DocumentVersion.uploaded_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    # post_update: the pointer is written after the version row exists (the FKs form a cycle).
    latest_version: Mapped[DocumentVersion | None] = relationship(
        foreign_keys=[latest_version_id], post_update=True
    )


class DocumentVersion(Base):
    __tablename__ = "document_versions"

    __table_args__ = (
        Index("document_versions_documentId_idx", "documentId"),
        Index("document_versions_documentId_isLatest_idx", "documentId", "isLatest"),
        Index("document_versions_documentId_uploadedAt_idx", "documentId", "uploadedAt"),
        Index("document_versions_expiryDate_idx", "expiryDate"),
        Index("document_versions_isLatest_idx", "isLatest"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        "documentId",
        Integer,
        ForeignKey(
            "documents.id",
            name="document_versions_documentId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    file_url: Mapped[str] = mapped_column("fileUrl", Text, nullable=False)
    storage_provider: Mapped[str] = mapped_column("storageProvider", Text, nullable=False)
    file_size: Mapped[int | None] = mapped_column("fileSize", Integer, nullable=True)
    mime_type: Mapped[str | None] = mapped_column("mimeType", Text, nullable=True)
    issue_date: Mapped[datetime | None] = mapped_column("issueDate", Timestamp, nullable=True)
    expiry_date: Mapped[datetime | None] = mapped_column("expiryDate", Timestamp, nullable=True)
    issuing_authority: Mapped[str | None] = mapped_column("issuingAuthority", Text, nullable=True)
    ocr_text: Mapped[str | None] = mapped_column("ocrText", Text, nullable=True)
    ai_summary: Mapped[str | None] = mapped_column("aiSummary", Text, nullable=True)
    meta: Mapped[Any | None] = mapped_column("metadata", JSONB, nullable=True)
    uploaded_by_id: Mapped[str | None] = mapped_column("uploadedById", Text, nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(
        "uploadedAt", Timestamp, server_default=NOW, nullable=False
    )
    is_latest: Mapped[bool] = mapped_column(
        "isLatest", Boolean, server_default=text("false"), nullable=False
    )

    document: Mapped[Document] = relationship(back_populates="versions", foreign_keys=[document_id])
