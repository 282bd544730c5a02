"""Services offered, request templates, service requests and their workflow steps."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NOW, Base, Timestamp, utcnow

if TYPE_CHECKING:
    from .clients import Client, ClientBusiness
    from .filings import Filing


class Service(Base):
    __tablename__ = "services"

    __table_args__ = (
        Index("services_category_idx", "category"),
        Index("services_tenantId_active_idx", "tenantId", "active"),
        Index("services_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id", name="services_tenantId_fkey", ondelete="CASCADE", onupdate="CASCADE"
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    category: Mapped[str] = mapped_column("category", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    base_price: Mapped[float | None] = mapped_column("basePrice", Double, nullable=True)
    estimated_days: Mapped[int | None] = mapped_column("estimatedDays", Integer, nullable=True)
    active: Mapped[bool] = mapped_column(
        "active", Boolean, server_default=text("true"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    templates: Mapped[list[ServiceRequestTemplate]] = relationship(
        back_populates="service", passive_deletes="all"
    )
    requests: Mapped[list[ServiceRequest]] = relationship(
        back_populates="service", passive_deletes="all"
    )


class ServiceRequestTemplate(Base):
    __tablename__ = "service_request_templates"

    __table_args__ = (
        Index("service_request_templates_serviceId_idx", "serviceId"),
        Index("service_request_templates_tenantId_idx", "tenantId"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="service_request_templates_tenantId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    service_id: Mapped[int] = mapped_column(
        "serviceId",
        Integer,
        ForeignKey(
            "services.id",
            name="service_request_templates_serviceId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    name: Mapped[str] = mapped_column("name", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    steps_definition: Mapped[Any] = mapped_column("stepsDefinition", JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    service: Mapped[Service] = relationship(back_populates="templates")


class ServiceRequest(Base):
    __tablename__ = "service_requests"

    __table_args__ = (
        Index("service_requests_clientBusinessId_idx", "clientBusinessId"),
        Index("service_requests_clientId_idx", "clientId"),
        Index("service_requests_createdAt_idx", "createdAt"),
        Index("service_requests_priority_idx", "priority"),
        Index("service_requests_serviceId_idx", "serviceId"),
        Index("service_requests_status_idx", "status"),
        Index("service_requests_tenantId_clientId_idx", "tenantId", "clientId"),
        Index("service_requests_tenantId_idx", "tenantId"),
        Index("service_requests_tenantId_status_idx", "tenantId", "status"),
        Index("service_requests_updatedAt_idx", "updatedAt"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        "tenantId",
        Integer,
        ForeignKey(
            "tenants.id",
            name="service_requests_tenantId_fkey",
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
            name="service_requests_clientId_fkey",
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
            name="service_requests_clientBusinessId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    service_id: Mapped[int] = mapped_column(
        "serviceId",
        Integer,
        ForeignKey(
            "services.id",
            name="service_requests_serviceId_fkey",
            ondelete="RESTRICT",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    template_id: Mapped[int | None] = mapped_column(
        "templateId",
        Integer,
        ForeignKey(
            "service_request_templates.id",
            name="service_requests_templateId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    status: Mapped[str] = mapped_column("status", Text, nullable=False)
    priority: Mapped[str | None] = mapped_column("priority", Text, nullable=True)
    current_step_order: Mapped[int | None] = mapped_column(
        "currentStepOrder", Integer, nullable=True
    )
    meta: Mapped[Any | None] = mapped_column("metadata", JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    client: Mapped[Client] = relationship(back_populates="service_requests")
    client_business: Mapped[ClientBusiness | None] = relationship()
    service: Mapped[Service] = relationship(back_populates="requests")
    template: Mapped[ServiceRequestTemplate | None] = relationship()
    steps: Mapped[list[ServiceStep]] = relationship(
        back_populates="service_request",
        order_by="ServiceStep.order",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ServiceStep(Base):
    __tablename__ = "service_steps"

    __table_args__ = (
        Index("service_steps_dependsOnStepId_idx", "dependsOnStepId"),
        Index("service_steps_dueDate_idx", "dueDate"),
        Index("service_steps_filingId_idx", "filingId"),
        Index("service_steps_serviceRequestId_idx", "serviceRequestId"),
        Index("service_steps_serviceRequestId_order_idx", "serviceRequestId", "order"),
        Index(
            "service_steps_serviceRequestId_status_order_idx", "serviceRequestId", "status", "order"
        ),
        Index("service_steps_status_idx", "status"),
    )

    id: Mapped[int] = mapped_column("id", Integer, primary_key=True)
    service_request_id: Mapped[int] = mapped_column(
        "serviceRequestId",
        Integer,
        ForeignKey(
            "service_requests.id",
            name="service_steps_serviceRequestId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        nullable=False,
    )
    filing_id: Mapped[int | None] = mapped_column(
        "filingId",
        Integer,
        ForeignKey(
            "filings.id",
            name="service_steps_filingId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    title: Mapped[str] = mapped_column("title", Text, nullable=False)
    description: Mapped[str | None] = mapped_column("description", Text, nullable=True)
    order: Mapped[int] = mapped_column("order", Integer, nullable=False)
    status: Mapped[str] = mapped_column("status", Text, nullable=False)
    due_date: Mapped[datetime | None] = mapped_column("dueDate", Timestamp, nullable=True)
    required_doc_type_ids: Mapped[list[int] | None] = mapped_column(
        "requiredDocTypeIds", ARRAY(Integer), nullable=True
    )
    depends_on_step_id: Mapped[int | None] = mapped_column(
        "dependsOnStepId",
        Integer,
        ForeignKey(
            "service_steps.id",
            name="service_steps_dependsOnStepId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
        nullable=True,
    )
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", Timestamp, default=utcnow, server_default=NOW, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", Timestamp, default=utcnow, onupdate=utcnow, nullable=False
    )

    service_request: Mapped[ServiceRequest] = relationship(back_populates="steps")
    filing: Mapped[Filing | None] = relationship()
    depends_on: Mapped[ServiceStep | None] = relationship(remote_side=[id])
