"""The fixed vocabularies (DOMAIN.md §2, §4): authorities, document categories, every status
list, client types, risk levels, sectors and service categories."""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# Authorities, categories and status vocabularies (DOMAIN.md §2, §4)
# --------------------------------------------------------------------------------------------

AUTHORITIES: tuple[str, ...] = ("GRA", "NIS", "DCRA", "Deeds", "Immigration", "GO-Invest", "EPA")

AUTHORITY_NAMES: dict[str, str] = {
    "GRA": "Guyana Revenue Authority",
    "NIS": "National Insurance Scheme",
    "DCRA": "Deeds and Commercial Registries Authority",
    "Deeds": "Deeds Registry",
    "Immigration": "Ministry of Home Affairs - Central Immigration and Passport Office",
    "GO-Invest": "Guyana Office for Investment",
    "EPA": "Environmental Protection Agency",
}

# The first five are the platform's values used in DOMAIN.md §4; the rest are Desktop additions
# for documents the firm handles that fit none of them.
DOCUMENT_CATEGORIES: tuple[str, ...] = (
    "identification",
    "compliance_certificate",
    "permit_license",
    "incorporation",
    "regulatory_filing",
    "property",
    "financial",
    "legal",
    "other",
)

DOCUMENT_STATUSES: tuple[str, ...] = ("valid", "expired", "pending_review", "rejected")
FILING_STATUSES: tuple[str, ...] = (
    "draft",
    "prepared",
    "submitted",
    "approved",
    "rejected",
    "overdue",
    "archived",
)
SERVICE_REQUEST_STATUSES: tuple[str, ...] = (
    "new",
    "in_progress",
    "awaiting_client",
    "awaiting_authority",
    "completed",
    "cancelled",
)
PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "urgent")
SERVICE_STEP_STATUSES: tuple[str, ...] = ("not_started", "in_progress", "done", "blocked")
TASK_STATUSES: tuple[str, ...] = ("open", "in_progress", "blocked", "completed")
CLIENT_TASK_STATUSES: tuple[str, ...] = ("pending", "in_progress", "completed", "cancelled")
CLIENT_TYPES: tuple[str, ...] = ("individual", "company", "partnership")
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high")
FILING_FREQUENCIES: tuple[str, ...] = ("monthly", "quarterly", "annual", "one_off")
NOTIFICATION_TYPES: tuple[str, ...] = ("email", "in_app", "sms")
NOTIFICATION_CHANNEL_STATUSES: tuple[str, ...] = ("pending", "sent", "failed")

SECTORS: tuple[str, ...] = (
    "Mining",
    "Agriculture",
    "Retail",
    "Construction",
    "Forestry",
    "Hospitality",
    "Shipping",
    "Oil & Gas Services",
    "Manufacturing",
    "Professional Services",
)

SERVICE_CATEGORIES: tuple[str, ...] = (
    "Tax",
    "NIS",
    "Registration",
    "Immigration",
    "Paralegal",
    "Training",
    "Advisory",
    "Audit",
)
