"""Tenants (firms), their members and roles, permissions, plans and subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .auth import User


class Tenant(Base):
    __tablename__ = "tenants"

    __table_args__ = (Index("tenants_code_key", "code", unique=True),)

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    code: Mapped[str] = mapped_column("code", Text, nullable=False)
    contact_info: Mapped[Any | None] = mapped_column("contactInfo", JSONB, nullable=True)
    settings: Mapped[Any | None] = mapped_column("settings", JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    members: Mapped[list[TenantUser]] = relationship(back_populates="tenant", passive_deletes="all")
    roles: Mapped[list[Role]] = relationship(back_populates="tenant", passive_deletes="all")
    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="tenant", passive_deletes="all"
    )


class TenantUser(Base):
    __tablename__ = "tenant_users"

    __table_args__ = (
        Index("tenant_users_roleId_idx", "roleId"),
        Index("tenant_users_tenantId_idx", "tenantId"),
        Index("tenant_users_tenantId_userId_key", "tenantId", "userId", unique=True),
        Index("tenant_users_userId_idx", "userId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="tenant_users_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    user_id: Mapped[str] = mapped_column(
        "userId",
        Text,
        ForeignKey(
            "user._id", name="tenant_users_userId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    role_id: Mapped[int] = mapped_column(
        "roleId",
        Integer,
        ForeignKey(
            "roles.id", name="tenant_users_roleId_fkey", ondelete="RESTRICT", onupdate="CASCADE"
        ),
        nullable=False,
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    tenant: Mapped[Tenant] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")
    role: Mapped[Role] = relationship(back_populates="members")


class Role(Base):
    __tablename__ = "roles"

    __table_args__ = (
        Index("roles_tenantId_idx", "tenantId"),
        Index("roles_tenantId_name_key", "tenantId", "name", unique=True),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="roles_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    tenant: Mapped[Tenant] = relationship(back_populates="roles")
    permissions: Mapped[list[Permission]] = relationship(
        back_populates="role", cascade="all, delete-orphan", passive_deletes=True
    )
    members: Mapped[list[TenantUser]] = relationship(back_populates="role", passive_deletes="all")


class Permission(Base):
    __tablename__ = "permissions"

    __table_args__ = (
        Index("permissions_roleId_idx", "roleId"),
        Index("permissions_roleId_module_action_key", "roleId", "module", "action", unique=True),
        Index("permissions_roleId_module_idx", "roleId", "module"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(
        "roleId",
        Integer,
        ForeignKey(
            "roles.id", name="permissions_roleId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    module: Mapped[str] = mapped_column("module", Text, nullable=False)
    action: Mapped[str] = mapped_column("action", Text, nullable=False)
    allowed: Mapped[bool] = mapped_column(
        "allowed", Boolean, server_default=text("true"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    role: Mapped[Role] = relationship(back_populates="permissions")


class Plan(Base):
    __tablename__ = "plans"

    __table_args__ = (Index("plans_name_idx", "name"),)

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    monthly_price: Mapped[float | None] = mapped_column("monthlyPrice", Double, nullable=True)
    yearly_price: Mapped[float | None] = mapped_column("yearlyPrice", Double, nullable=True)
    limits: Mapped[Any | None] = mapped_column("limits", JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="plan", passive_deletes="all"
    )


class Subscription(Base):
    __tablename__ = "subscriptions"

    __table_args__ = (
        Index("subscriptions_planId_idx", "planId"),
        Index("subscriptions_renewalDate_idx", "renewalDate"),
        Index("subscriptions_status_idx", "status"),
        Index("subscriptions_tenantId_idx", "tenantId"),
        Index("subscriptions_tenantId_renewalDate_idx", "tenantId", "renewalDate"),
        Index("subscriptions_tenantId_status_idx", "tenantId", "status"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="subscriptions_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    plan_id: Mapped[int] = mapped_column(
        "planId",
        Integer,
        ForeignKey(
            "plans.id", name="subscriptions_planId_fkey", ondelete="RESTRICT", onupdate="CASCADE"
        ),
        nullable=False,
    )
    status: Mapped[str] = mapped_column("status", Text, nullable=False)
    start_date: Mapped[datetime] = mapped_column("startDate", Timestamp, nullable=False)
    end_date: Mapped[datetime | None] = mapped_column("endDate", Timestamp, nullable=True)
    renewal_date: Mapped[datetime | None] = mapped_column("renewalDate", Timestamp, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    tenant: Mapped[Tenant] = relationship(back_populates="subscriptions")
    plan: Mapped[Plan] = relationship(back_populates="subscriptions")
