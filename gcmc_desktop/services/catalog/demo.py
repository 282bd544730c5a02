"""The global plan and the demo firms' constants: tenants, users, e-mail addresses and the
documented demo passwords."""

from __future__ import annotations

from typing import Any

from .roles import ROLE_NAMES

# --------------------------------------------------------------------------------------------
# Plans (global) and demo users
# --------------------------------------------------------------------------------------------

PROFESSIONAL_PLAN: dict[str, Any] = {
    "name": "Professional",
    "description": "For a compliance firm: up to 25 staff users and 1,000 clients.",
    "monthlyPrice": 45000.0,
    "yearlyPrice": 450000.0,
    "limits": {
        "users": 25,
        "clients": 1000,
        "storageGb": 100,
        "documentsPerMonth": 5000,
        "clientPortal": True,
    },
}

DEMO_TENANT: dict[str, Any] = {
    "name": "Demo Company",
    "code": "demo",
    "contactInfo": {
        "email": "office@demo.gcmc.gy",
        "phone": "+592 225 0000",
        "address": "Lot 1 Water Street, Georgetown",
    },
    "settings": {"timezone": "America/Guyana", "dateFormat": "DD/MM/YYYY", "currency": "GYD"},
}

SECOND_TENANT: dict[str, Any] = {
    "name": "Second Firm",
    "code": "second-firm",
    "contactInfo": {"email": "office@second.gcmc.gy"},
    "settings": {"timezone": "America/Guyana", "dateFormat": "DD/MM/YYYY", "currency": "GYD"},
}

DEMO_EMAIL_DOMAIN = "demo.gcmc.gy"
DEMO_PASSWORD_PATTERN = "Demo-{role}-2024!"


def demo_password(role: str) -> str:
    """The documented password of the demo user holding `role` (e.g. "Demo-FirmAdmin-2024!")."""
    return DEMO_PASSWORD_PATTERN.format(role=role)


def demo_email(role: str) -> str:
    return f"{role.lower()}@{DEMO_EMAIL_DOMAIN}"


_DEMO_NAMES: dict[str, str] = {
    "SuperAdmin": "Marcia Fraser",
    "FirmAdmin": "Kavita Persaud",
    "Admin": "Andre Williams",
    "ComplianceManager": "Nadira Khan",
    "ComplianceOfficer": "Devon Griffith",
    "DocumentOfficer": "Latoya Benn",
    "FilingClerk": "Ryan Singh",
    "Viewer": "Omari Thomas",
    "ClientPortalUser": "Shabana Mohamed",
}

DEMO_USERS: list[dict[str, str]] = [
    {"role": role, "email": demo_email(role), "name": _DEMO_NAMES[role]} for role in ROLE_NAMES
]

SECOND_FIRM_ADMIN: dict[str, str] = {
    "role": "FirmAdmin",
    "email": "admin@second.gcmc.gy",
    "name": "Winston Ali",
    "password": "Demo-SecondFirm-2024!",
}
