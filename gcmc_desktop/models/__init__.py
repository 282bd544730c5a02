"""SQLAlchemy models of the platform schema, one module per domain.

Importing this package registers every table on `Base.metadata`, which the migrations and
the contract tests compare against platform_schema.json.
"""

from .auth import Account, Session, User, Verification
from .base import Base, new_id, utcnow
from .clients import Client, ClientBusiness, ClientPortalAccess
from .compliance import (
    ComplianceRule,
    ComplianceRuleSet,
    ComplianceScore,
    RequirementBundle,
    RequirementBundleItem,
)
from .documents import Document, DocumentType, DocumentVersion
from .filings import Filing, FilingDocument, FilingType, RecurringFiling
from .services import Service, ServiceRequest, ServiceRequestTemplate, ServiceStep
from .system import AuditLog, Conversation, Message, Notification
from .tasks import ClientTask, Task
from .tenancy import Permission, Plan, Role, Subscription, Tenant, TenantUser

__all__ = [
    "Account",
    "AuditLog",
    "Base",
    "Client",
    "ClientBusiness",
    "ClientPortalAccess",
    "ClientTask",
    "ComplianceRule",
    "ComplianceRuleSet",
    "ComplianceScore",
    "Conversation",
    "Document",
    "DocumentType",
    "DocumentVersion",
    "Filing",
    "FilingDocument",
    "FilingType",
    "Message",
    "Notification",
    "Permission",
    "Plan",
    "RecurringFiling",
    "RequirementBundle",
    "RequirementBundleItem",
    "Role",
    "Service",
    "ServiceRequest",
    "ServiceRequestTemplate",
    "ServiceStep",
    "Session",
    "Subscription",
    "Task",
    "Tenant",
    "TenantUser",
    "User",
    "Verification",
    "new_id",
    "utcnow",
]
