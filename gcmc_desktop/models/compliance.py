"""Compliance rule sets, rules, requirement bundles and per-client scores."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .clients import Client
    from .documents import DocumentType
    from .filings import FilingType


class ComplianceRuleSet(Base):
    __tablename__ = "compliance_rule_sets"

    __table_args__ = (
        Index("compliance_rule_sets_tenantId_active_idx", "tenantId", "active"),
        Index("compliance_rule_sets_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="compliance_rule_sets_tenantId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    applies_to: Mapped[Any | None] = mapped_column("appliesTo", JSONB, nullable=True)
    active: Mapped[bool] = mapped_column(
        "active", Boolean, server_default=text("true"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    rules: Mapped[list[ComplianceRule]] = relationship(
        back_populates="rule_set", cascade="all, delete-orphan", passive_deletes=True
    )


class ComplianceRule(Base):
    __tablename__ = "compliance_rules"

    __table_args__ = (
        Index("compliance_rules_ruleSetId_idx", "ruleSetId"),
        Index("compliance_rules_ruleSetId_ruleType_idx", "ruleSetId", "ruleType"),
        Index("compliance_rules_ruleType_idx", "ruleType"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(
        "ruleSetId",
        Integer,
        ForeignKey(
            "compliance_rule_sets.id",
            name="compliance_rules_ruleSetId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    rule_type: Mapped[str] = mapped_column("ruleType", Text, nullable=False)
    condition: Mapped[Any | None] = mapped_column("condition", JSONB, nullable=True)
    target_id: Mapped[int | None] = mapped_column("targetId", Integer, nullable=True)
    weight: Mapped[float] = mapped_column("weight", Double, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    rule_set: Mapped[ComplianceRuleSet] = relationship(back_populates="rules")


class ComplianceScore(Base):
    __tablename__ = "compliance_scores"

    __table_args__ = (
        Index("compliance_scores_clientId_idx", "clientId"),
        Index("compliance_scores_lastCalculatedAt_idx", "lastCalculatedAt"),
        Index("compliance_scores_level_idx", "level"),
        Index("compliance_scores_scoreValue_idx", "scoreValue"),
        Index("compliance_scores_tenantId_clientId_key", "tenantId", "clientId", unique=True),
        Index("compliance_scores_tenantId_idx", "tenantId"),
        Index("compliance_scores_tenantId_lastCalculatedAt_idx", "tenantId", "lastCalculatedAt"),
        Index("compliance_scores_tenantId_level_idx", "tenantId", "level"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="compliance_scores_tenantId_fkey",
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
            name="compliance_scores_clientId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    score_value: Mapped[float] = mapped_column("scoreValue", Double, nullable=False)
    level: Mapped[str] = mapped_column("level", Text, nullable=False)
    missing_count: Mapped[int] = mapped_column("missingCount", Integer, nullable=False)
    expiring_count: Mapped[int] = mapped_column("expiringCount", Integer, nullable=False)
    overdue_filings_count: Mapped[int] = mapped_column(
        "overdueFilingsCount", Integer, nullable=False
    )
    last_calculated_at: Mapped[datetime] = mapped_column(
        "lastCalculatedAt", Timestamp, nullable=False
    )
    breakdown: Mapped[Any | None] = mapped_column("breakdown", JSONB, nullable=True)

    client: Mapped[Client] = relationship()


class RequirementBundle(Base):
    __tablename__ = "requirement_bundles"

    __table_args__ = (
        Index("requirement_bundles_authority_idx", "authority"),
        Index("requirement_bundles_category_idx", "category"),
        Index("requirement_bundles_tenantId_authority_idx", "tenantId", "authority"),
        Index("requirement_bundles_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="requirement_bundles_tenantId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    authority: Mapped[str] = mapped_column("authority", Text, nullable=False)
    category: Mapped[str] = mapped_column("category", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    items: Mapped[list[RequirementBundleItem]] = relationship(
        back_populates="bundle",
        order_by="RequirementBundleItem.order",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class RequirementBundleItem(Base):
    __tablename__ = "requirement_bundle_items"

    __table_args__ = (
        Index("requirement_bundle_items_bundleId_idx", "bundleId"),
        Index("requirement_bundle_items_bundleId_order_idx", "bundleId", "order"),
        Index("requirement_bundle_items_documentTypeId_idx", "documentTypeId"),
        Index("requirement_bundle_items_filingTypeId_idx", "filingTypeId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(
        "bundleId",
        Integer,
        ForeignKey(
            "requirement_bundles.id",
            name="requirement_bundle_items_bundleId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    document_type_id: Mapped[int | None] = mapped_column(
        "documentTypeId",
        Integer,
        ForeignKey(
            "document_types.id",
            name="requirement_bundle_items_documentTypeId_fkey",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    filing_type_id: Mapped[int | None] = mapped_column(
        "filingTypeId",
        Integer,
        ForeignKey(
            "filing_types.id",
            name="requirement_bundle_items_filingTypeId_fkey",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    required: Mapped[bool] = mapped_column(
        "required", Boolean, server_default=text("true"), nullable=False
    )
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    order: Mapped[int] = mapped_column("order", Integer, server_default=text("0"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    bundle: Mapped[RequirementBundle] = relationship(back_populates="items")
    document_type: Mapped[DocumentType | None] = relationship()
    filing_type: Mapped[FilingType | None] = relationship()
