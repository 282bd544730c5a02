"""The domain's reference data as plain Python (no database): roles and their permissions,
authorities, status vocabularies, document and filing types, the firm's services with their
workflow templates, and the demo users. Source: DOMAIN.md §1-§5; values marked ⚠ there are
flagged in the descriptions so users know to verify them.

Seeders and services read these; nothing here touches the database.

Split by kind: `roles` (roles and permission tables), `vocabularies` (authorities, statuses,
categories), `templates` (document and filing types, services and workflows, compliance bundles
and rule sets) and `demo` (the plan and the demo firms). Import from the package itself.
"""

from __future__ import annotations

from .demo import (
    DEMO_EMAIL_DOMAIN,
    DEMO_PASSWORD_PATTERN,
    DEMO_TENANT,
    DEMO_USERS,
    PROFESSIONAL_PLAN,
    SECOND_FIRM_ADMIN,
    SECOND_TENANT,
    demo_email,
    demo_password,
)
from .roles import (
    ALL,
    CREATE,
    DELETE,
    EDIT,
    ROLE_DESCRIPTIONS,
    ROLE_NAMES,
    ROLE_PERMISSIONS,
    SUBMIT,
    VIEW,
)
from .templates import (
    COMPANY_RULE_SET,
    DEFAULT_RULE_SET,
    DOCUMENT_TYPE_NAMES,
    DOCUMENT_TYPES,
    FILING_TYPE_CODES,
    FILING_TYPES,
    REQUIREMENT_BUNDLES,
    RULE_SETS,
    SERVICE_NAMES,
    SERVICES,
)
from .vocabularies import (
    AUTHORITIES,
    AUTHORITY_NAMES,
    CLIENT_TASK_STATUSES,
    CLIENT_TYPES,
    DOCUMENT_CATEGORIES,
    DOCUMENT_STATUSES,
    FILING_FREQUENCIES,
    FILING_STATUSES,
    NOTIFICATION_CHANNEL_STATUSES,
    NOTIFICATION_TYPES,
    PRIORITIES,
    RISK_LEVELS,
    SECTORS,
    SERVICE_CATEGORIES,
    SERVICE_REQUEST_STATUSES,
    SERVICE_STEP_STATUSES,
    TASK_STATUSES,
)

__all__ = [
    "ALL",
    "AUTHORITIES",
    "AUTHORITY_NAMES",
    "CLIENT_TASK_STATUSES",
    "CLIENT_TYPES",
    "COMPANY_RULE_SET",
    "CREATE",
    "DEFAULT_RULE_SET",
    "DELETE",
    "DEMO_EMAIL_DOMAIN",
    "DEMO_PASSWORD_PATTERN",
    "DEMO_TENANT",
    "DEMO_USERS",
    "DOCUMENT_CATEGORIES",
    "DOCUMENT_STATUSES",
    "DOCUMENT_TYPES",
    "DOCUMENT_TYPE_NAMES",
    "EDIT",
    "FILING_FREQUENCIES",
    "FILING_STATUSES",
    "FILING_TYPES",
    "FILING_TYPE_CODES",
    "NOTIFICATION_CHANNEL_STATUSES",
    "NOTIFICATION_TYPES",
    "PRIORITIES",
    "PROFESSIONAL_PLAN",
    "REQUIREMENT_BUNDLES",
    "RISK_LEVELS",
    "ROLE_DESCRIPTIONS",
    "ROLE_NAMES",
    "ROLE_PERMISSIONS",
    "RULE_SETS",
    "SECOND_FIRM_ADMIN",
    "SECOND_TENANT",
    "SECTORS",
    "SERVICES",
    "SERVICE_CATEGORIES",
    "SERVICE_NAMES",
    "SERVICE_REQUEST_STATUSES",
    "SERVICE_STEP_STATUSES",
    "SUBMIT",
    "TASK_STATUSES",
    "VIEW",
    "demo_email",
    "demo_password",
]
