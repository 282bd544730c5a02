"""Demo data: a firm ("Demo Company", code `demo`) with a user per role, the reference types,
services with workflow templates, compliance bundles and rules, and ~50 clients with documents,
filings, service requests, tasks and messages; plus a small "Second Firm" for isolation tests.

Idempotent: every row is looked up by its natural key (tenant code, role name, user e-mail,
document type name+category, filing type code, service name, bundle / rule set / plan name,
client name) and only what is missing is inserted; nothing existing is ever updated. Rows
without a natural key of their own (a client's businesses, documents, filings, requests,
tasks…; a bundle's items; a rule set's rules) are created only together with their new parent.
A role's permission rows are inserted only while the role has none, so re-seeding never
re-grants a permission an administrator removed.

The client data comes from `random.Random(2024)` and is planned in full before anything is
written, so the same clients always get the same data; dates are relative to today.

Every demo document version has a real file: a one-page PDF with the document's title, stored
in the document storage (the local folder store by default) under the content-addressed key
the app itself uses (`tenants/{t}/documents/{d}/{sha256}`). The PDF depends only on what the
version row records, so re-seeding recreates any demo file that has gone missing — also for
databases seeded before the files existed — without touching the rows.

Validation: clients, their businesses, document types, documents, conversations and messages
pass the same field rules and checks as the app's own create functions (`validate_client`,
`validate_business`, `validate_document_type`, `validate_document`, `validate_conversation`,
`clean_body`), so the demo never holds a row a user could not have saved. They are still
written here, in the seed's one transaction, not through the `create_*` service functions:
those commit per record, and the first start's seed must be all or nothing (`commit=False`,
then the login roles, then one commit). Domains without a service yet (filings, service
requests, tasks, compliance, notifications…) write their rows directly.
"""

from __future__ import annotations

import calendar
import copy
import hashlib
import random
import re
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ...models import (
    Account,
    Client,
    ClientBusiness,
    ClientPortalAccess,
    ClientTask,
    ComplianceRule,
    ComplianceRuleSet,
    ComplianceScore,
    Conversation,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingDocument,
    FilingType,
    Message,
    Notification,
    Permission,
    Plan,
    RecurringFiling,
    RequirementBundle,
    RequirementBundleItem,
    Role,
    Service,
    ServiceRequest,
    ServiceRequestTemplate,
    ServiceStep,
    Subscription,
    Task,
    Tenant,
    TenantUser,
    User,
    new_id,
    utcnow,
)
from .. import catalog as ref
from ..businesses import validate_business
from ..clients import validate_client
from ..conversations import clean_body, validate_conversation
from ..document_types import validate_document_type
from ..documents import validate_document
from ..errors import ServiceError
from ..passwords import hash_password
from ..service_catalog import validate_service
from ..storage import (
    StorageProvider,
    StorageSettings,
    canonical_provider_name,
    object_key,
    storage_from_settings,
)
from ..workflow_steps import read_steps
from ..workflow_templates import validate_template
from .pdf import one_page_pdf

SEED = 2024
CLIENT_COUNT = 50
# Roles whose demo users get staff tasks and notifications.
STAFF_ROLES: tuple[str, ...] = (
    "FirmAdmin",
    "Admin",
    "ComplianceManager",
    "ComplianceOfficer",
    "DocumentOfficer",
    "FilingClerk",
)

# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


@dataclass
class SeedSummary:
    """How many rows of each kind one `seed_demo` run inserted."""

    tenants: int = 0
    roles: int = 0
    permissions: int = 0
    users: int = 0
    accounts: int = 0
    memberships: int = 0
    document_types: int = 0
    filing_types: int = 0
    services: int = 0
    templates: int = 0
    bundles: int = 0
    bundle_items: int = 0
    rule_sets: int = 0
    rules: int = 0
    plans: int = 0
    subscriptions: int = 0
    clients: int = 0
    businesses: int = 0
    portal_access: int = 0
    documents: int = 0
    document_versions: int = 0
    filings: int = 0
    filing_documents: int = 0
    recurring_filings: int = 0
    service_requests: int = 0
    service_steps: int = 0
    tasks: int = 0
    client_tasks: int = 0
    conversations: int = 0
    messages: int = 0
    notifications: int = 0
    compliance_scores: int = 0  # scored by the engine after the commit
    files: int = 0  # demo document files written to the document storage
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "seconds"}

    @property
    def total(self) -> int:
        return sum(self.counts().values())

    def __str__(self) -> str:
        if not self.total:
            return f"Demo data already present: nothing inserted ({self.seconds:.1f} s)."
        parts = [f"{n} {name.replace('_', ' ')}" for name, n in self.counts().items() if n]
        return f"Inserted {self.total} rows in {self.seconds:.1f} s: " + ", ".join(parts) + "."


_SUMMARY_FIELD: dict[type, str] = {
    Tenant: "tenants",
    Role: "roles",
    Permission: "permissions",
    User: "users",
    Account: "accounts",
    TenantUser: "memberships",
    DocumentType: "document_types",
    FilingType: "filing_types",
    Service: "services",
    ServiceRequestTemplate: "templates",
    RequirementBundle: "bundles",
    RequirementBundleItem: "bundle_items",
    ComplianceRuleSet: "rule_sets",
    ComplianceRule: "rules",
    Plan: "plans",
    Subscription: "subscriptions",
    Client: "clients",
    ClientBusiness: "businesses",
    ClientPortalAccess: "portal_access",
    Document: "documents",
    DocumentVersion: "document_versions",
    Filing: "filings",
    FilingDocument: "filing_documents",
    RecurringFiling: "recurring_filings",
    ServiceRequest: "service_requests",
    ServiceStep: "service_steps",
    Task: "tasks",
    ClientTask: "client_tasks",
    Conversation: "conversations",
    Message: "messages",
    Notification: "notifications",
}


# A demo user who belongs to both demo firms, so "Switch firm" can be tried: tenant code →
# role in that firm.
TWO_FIRM_USER: dict[str, Any] = {
    "email": "partner@demo.gcmc.gy",
    "name": "Sharda Ramsaroop",
    "password": "Demo-TwoFirms-2024!",
    "roles": {"demo": "ComplianceManager", "second-firm": "FirmAdmin"},
    "label": "Both firms",  # the Role column of the login dialog's demo list
}


def demo_credentials(include_second_firm: bool = False) -> list[tuple[str, str, str]]:
    """(role, e-mail, password) of every demo user, for the login dialog and the README.
    With `include_second_firm`, also the Second Firm's administrator and the user who is a
    member of both firms (its "role" is a label naming both)."""
    rows = [(u["role"], u["email"], ref.demo_password(u["role"])) for u in ref.DEMO_USERS]
    if include_second_firm:
        admin = ref.SECOND_FIRM_ADMIN
        rows.append((admin["role"], admin["email"], admin["password"]))
        two = TWO_FIRM_USER
        rows.append((two["label"], two["email"], two["password"]))
    return rows


def default_storage() -> StorageProvider:
    """The local folder store under the data directory: where the app keeps files unless a
    workstation is configured otherwise."""
    return storage_from_settings(StorageSettings(), None)


def seed_demo(
    session: Session,
    *,
    commit: bool = True,
    storage: StorageProvider | None = None,
    files: bool = True,
) -> SeedSummary:
    """Insert whatever demo data is missing; with `commit=False` only flush.

    The demo documents' files go to `storage` (default: the local folder store); `files=False`
    writes rows only, naming `storage`'s kind of store (their files can be added later by
    `write_demo_files`). Files are stored before the rows are committed, as every upload is."""
    started = time.perf_counter()
    if files and storage is None:
        storage = default_storage()
    seeder = _Seeder(session, storage)
    seeder.run()
    if files and storage is not None:
        session.flush()
        seeder.summary.files = write_demo_files(session, storage)
    if commit:
        session.commit()
        seeder.summary.compliance_scores = _score_unscored_clients(session)
    else:
        session.flush()
    seeder.summary.seconds = time.perf_counter() - started
    return seeder.summary


def _score_unscored_clients(session: Session) -> int:
    """The demo firms' clients without a compliance score get one from the engine (their own
    transaction, after the seed's), so the first screens show real scores and breakdowns."""
    from ..compliance_scoring import recalculate

    scored = 0
    for code in (ref.DEMO_TENANT["code"], ref.SECOND_TENANT["code"]):
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.code == code))
        if tenant_id is None:
            continue
        unscored = session.scalars(
            select(Client.id).where(
                Client.tenant_id == tenant_id,
                ~select(ComplianceScore.id).where(ComplianceScore.client_id == Client.id).exists(),
            )
        ).all()
        if unscored:
            scored += recalculate(session, tenant_id=tenant_id, client_ids=unscored).clients
    return scored


def demo_pdf(
    title: str,
    number: str | None,
    issued: datetime | None,
    expires: datetime | None,
    authority: str | None,
) -> bytes:
    """The demo file of a version: only what its row records goes in, so the same row always
    regenerates the same bytes (and thus the same content-addressed key)."""
    lines = [
        f"Document number: {number or '-'}",
        # ISO dates: month names would follow the process locale (Qt sets it), and the same
        # row must give the same bytes in the app, the CLI and the tests.
        f"Issued: {issued:%Y-%m-%d}" if issued else "Issued: -",
        f"Expires: {expires:%Y-%m-%d}" if expires else "Expires: no expiry",
    ]
    if authority:
        lines.append(f"Issuing authority: {authority}")
    lines += ["", "Demo document generated by GCMC Desktop - not an official record."]
    return one_page_pdf(title, lines)


_CONTENT_KEY = re.compile(r"tenants/\d+/documents/\d+/(?P<sha>[0-9a-f]{64})")


def write_demo_files(session: Session, storage: StorageProvider) -> int:
    """Store the file of every demo version kept in `storage`'s kind of store whose file is
    missing there; returns how many were written. Rows are never changed, so a version whose
    title or dates were edited after seeding (its file would no longer match its
    content-addressed key) is left alone."""
    rows = session.execute(
        select(
            DocumentVersion.file_url,
            DocumentVersion.storage_provider,
            DocumentVersion.meta,
            DocumentVersion.issue_date,
            DocumentVersion.expiry_date,
            DocumentVersion.issuing_authority,
            Document.title,
        )
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(DocumentVersion.meta["demo"].as_boolean().is_(True))
        .order_by(DocumentVersion.id)
    ).all()
    mine = []
    for row in rows:
        try:
            if canonical_provider_name(row.storage_provider) == storage.name:
                mine.append(row)
        except ServiceError:
            continue
    # One listing per folder of keys instead of one existence check per file.
    prefixes = {_listing_prefix(row.file_url) for row in mine}
    present: set[str] = set()
    for prefix in sorted(prefixes):
        present.update(storage.list_keys(prefix))
    missing: list[tuple[str, bytes, str]] = []
    for row in mine:
        if row.file_url in present:
            continue
        meta = row.meta if isinstance(row.meta, dict) else {}
        content = demo_pdf(
            row.title,
            meta.get("documentNumber"),
            row.issue_date,
            row.expiry_date,
            row.issuing_authority,
        )
        sha = hashlib.sha256(content).hexdigest()
        match = _CONTENT_KEY.fullmatch(row.file_url)
        if (match and match["sha"] != sha) or meta.get("sha256") not in (None, sha):
            continue
        present.add(row.file_url)
        missing.append((row.file_url, content, sha))
    if not missing:
        return 0
    with tempfile.TemporaryDirectory(prefix="gcmc-demo-") as folder:

        def store(item: tuple[int, tuple[str, bytes, str]]) -> None:
            number, (key, content, sha) = item
            scratch = Path(folder) / f"{number}.pdf"
            scratch.write_bytes(content)
            storage.put_file(
                key, scratch, sha256=sha, size=len(content), content_type="application/pdf"
            )
            scratch.unlink()

        # Each stored file is synced to disk (or is a network round trip for S3): waiting for
        # them one by one made seeding several seconds slower. Providers are thread-safe.
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in pool.map(store, enumerate(missing)):
                pass
    return len(missing)


def _listing_prefix(key: str) -> str:
    parts = key.split("/")
    if len(parts) > 2 and parts[0] == "tenants":
        return f"tenants/{parts[1]}/"
    return parts[0] + "/"


# --------------------------------------------------------------------------------------------
# The client plan: pure data drawn from the RNG, no database, no dates beyond `today`
# --------------------------------------------------------------------------------------------

_FIRST_NAMES = (
    "Ravi", "Anil", "Kavita", "Shondel", "Tricia", "Devon", "Marlon", "Nadira", "Shaquille",
    "Parbattie", "Deodat", "Bibi", "Latchmi", "Rohan", "Kwame", "Keisha", "Andrea", "Colin",
    "Vishnu", "Savitri", "Jermaine", "Natasha", "Ryan", "Sunita", "Terrence", "Alicia", "Imran",
    "Roxanne", "Leon", "Chandra", "Dwayne", "Melissa", "Kemraj", "Sharda", "Nigel", "Odessa",
    "Gavin", "Fiona", "Rajesh", "Tamika",
)  # fmt: skip
_SURNAMES = (
    "Persaud", "Singh", "Ramnarine", "Khan", "Mohamed", "Baksh", "Williams", "Fraser", "Thomas",
    "DaSilva", "Fernandes", "Gonsalves", "Ally", "Jagnarine", "Bacchus", "Narine", "Ramotar",
    "Hinds", "Benn", "Griffith", "Adams", "Rodrigues", "Sookdeo", "Charles", "Allicock",
    "Melville", "Ramsaroop", "Chan-A-Sue", "McLean", "Bourne", "Harripersaud", "Jaikaran",
    "Seepersaud", "Lall", "Dookhie", "Welch", "Crandon", "Blackman", "Yhap", "Sahadeo",
)  # fmt: skip
_PLACES = (
    "Demerara", "Essequibo", "Berbice", "Kaieteur", "Rupununi", "Mazaruni", "Cuyuni",
    "Pomeroon", "Corentyne", "Mahaica", "Potaro", "Kanuku", "Pakaraima", "Atlantic", "Stabroek",
    "Canje", "Bartica", "Wismar", "Mabaruma", "Sapodilla", "Golden Arrowhead", "Timehri",
)  # fmt: skip
_COMPANY_NOUNS: dict[str, tuple[str, ...]] = {
    "Mining": ("Gold Mining", "Mining & Exploration", "Quarries", "Diamond Works"),
    "Agriculture": ("Rice Millers", "Agro Farms", "Cattle Ranch", "Coconut Estates", "Produce"),
    "Retail": ("Supermarket", "Hardware & Supplies", "Trading", "Pharmacy", "Distributors"),
    "Construction": ("Construction", "Builders", "Engineering & Construction", "Concrete"),
    "Forestry": ("Timber", "Sawmills", "Wood Products", "Forest Industries"),
    "Hospitality": ("Hotel", "Resort", "Guest House", "Restaurant & Bar", "Eco Lodge"),
    "Shipping": ("Shipping", "Freight & Logistics", "Marine Services", "Wharf Services"),
    "Oil & Gas Services": ("Offshore Services", "Energy Services", "Petroleum Logistics"),
    "Manufacturing": ("Beverages", "Packaging", "Furniture", "Garments"),
    "Professional Services": ("Consulting", "IT Solutions", "Security Services"),
}
_PARTNERSHIP_NOUNS: dict[str, tuple[str, ...]] = {
    "Retail": ("Variety Store", "Hardware", "Auto Parts", "Trading"),
    "Construction": ("Contractors", "Builders"),
    "Professional Services": ("Associates", "Accounting Services"),
    "Agriculture": ("Farms", "Poultry"),
    "Hospitality": ("Snackette", "Catering"),
    "Shipping": ("Boat Services", "Transport"),
}
_INDIVIDUAL_SECTORS = ("Professional Services", "Retail", "Agriculture", "Mining", "Hospitality")
_SOLE_TRADER_NOUNS = {
    "Professional Services": "Consultancy",
    "Retail": "Variety Store",
    "Agriculture": "Farm",
    "Mining": "Mining",
    "Hospitality": "Snackette",
}
_GEORGETOWN_STREETS = (
    "Regent Street", "Camp Street", "Robb Street", "Sheriff Street", "Water Street",
    "Vlissengen Road", "Brickdam", "Church Street", "Middle Street", "Lamaha Street",
)  # fmt: skip
_TOWNS = (
    ("Public Road", "Diamond, East Bank Demerara"),
    ("Republic Avenue", "Mackenzie, Linden"),
    ("Main Street", "New Amsterdam, Berbice"),
    ("Public Road", "Rose Hall, Corentyne, Berbice"),
    ("Public Road", "Anna Regina, Essequibo Coast"),
    ("Public Road", "Parika, East Bank Essequibo"),
    ("First Avenue", "Bartica, Cuyuni-Mazaruni"),
    ("Public Road", "Vreed-en-Hoop, West Coast Demerara"),
    ("Main Street", "Lethem, Rupununi"),
    ("Main Street", "Mahdia, Potaro-Siparuni"),
    ("Public Road", "Skeldon, Corentyne, Berbice"),
    ("Public Road", "Mahaicony, East Coast Demerara"),
)  # fmt: skip
_EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")

# A portal client, an NGO-style co-operative and a credit union, then generated clients.
_FIXED_CLIENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "Mohamed's Trading & Distribution Inc.",
        "type": "company",
        "sector": "Retail",
        "email": "shabana@mohamedstrading.gy",
        "address": "Lot 27 Robb Street, Georgetown",
        "portal": True,
        "services": ("Work permit application", "VAT return filing"),
    },
    {
        "name": "Pomeroon Coconut Farmers Co-operative Society Ltd.",
        "type": "company",
        "sector": "Agriculture",
        "email": "pomeroon.coop@gmail.com",
        "address": "Public Road, Charity, Pomeroon",
        "services": ("Audit of NGO or co-operative",),
    },
    {
        "name": "Linden Teachers' Co-operative Credit Union Ltd.",
        "type": "company",
        "sector": "Professional Services",
        "email": "ltccu@yahoo.com",
        "address": "12 Republic Avenue, Mackenzie, Linden",
        "services": ("HR and customer relations training",),
    },
)

_SECOND_FIRM_CLIENTS: tuple[dict[str, Any], ...] = (
    {"name": "Corentyne Fisheries Ltd.", "type": "company", "sector": "Agriculture"},
    {"name": "Joanne Bacchus", "type": "individual", "sector": "Retail"},
    {"name": "Hinds & Lowe Partnership", "type": "partnership", "sector": "Construction"},
)

# Document types held by each kind of client: (name, probability).
_DOCS_BY_TYPE: dict[str, tuple[tuple[str, float], ...]] = {
    "individual": (
        ("Passport", 0.9),
        ("TIN certificate", 0.9),
        ("NIS card", 0.7),
        ("National ID card", 0.4),
        ("Certificate of compliance (tax clearance)", 0.4),
        ("Transport (land title)", 0.2),
        ("Income & expenditure statement", 0.2),
    ),
    "company": (
        ("Certificate of incorporation", 1.0),
        ("TIN certificate", 1.0),
        ("Certificate of compliance (tax clearance)", 0.8),
        ("NIS compliance certificate", 0.7),
        ("Employer registration (R1)", 0.6),
        ("Trade licence", 0.6),
        ("VAT registration certificate", 0.5),
        ("Articles of incorporation", 0.5),
        ("Annual return", 0.5),
        ("Beneficial ownership declaration", 0.4),
        ("Investment incentive approval", 0.15),
    ),
    "partnership": (
        ("Business name registration certificate", 1.0),
        ("TIN certificate", 1.0),
        ("Certificate of compliance (tax clearance)", 0.6),
        ("Trade licence", 0.6),
        ("Employer registration (R1)", 0.5),
        ("NIS compliance certificate", 0.5),
    ),
}
_ENVIRONMENTAL_SECTORS = {
    "Mining",
    "Forestry",
    "Agriculture",
    "Oil & Gas Services",
    "Manufacturing",
}
_EXPAT_SECTORS = {"Oil & Gas Services", "Mining", "Construction"}
_MAX_DOCS_PER_CLIENT = 7
# Types without a typical validity that still carry an expiry date ("per grant").
_PER_GRANT = {
    "Business visa",
    "Residence permit",
    "Environmental authorisation",
    "Investment incentive approval",
}
# Spread of expiry dates, cycled so every demo has each kind.
_EXPIRY_BUCKETS = (
    "valid",
    "expiring30",
    "valid",
    "expired",
    "expiring60",
    "valid",
    "expiring90",
    "valid",
    "expired",
    "expiring30",
)

_SERVICES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "individual": (
        "Individual income tax return",
        "GRA compliance certificate",
        "Affidavit preparation",
        "Will preparation",
        "Income and expenditure statement",
        "Business name registration",
        "Agreement of sale and purchase",
    ),
    "company": (
        "Corporation tax return",
        "VAT return filing",
        "PAYE returns",
        "GRA compliance certificate",
        "NIS employer registration",
        "NIS contribution schedules",
        "NIS compliance certificate",
        "Work permit application",
        "Business visa",
        "Business proposal and cash-flow projection",
        "HR and customer relations training",
        "Company incorporation",
    ),
    "partnership": (
        "VAT return filing",
        "PAYE returns",
        "GRA compliance certificate",
        "NIS contribution schedules",
        "Small business consultancy",
        "Business proposal and cash-flow projection",
    ),
}

# Status distributions by how long ago the filing's period ended.
_FILING_STATUS_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "month1": (
        ("draft", 0.3),
        ("prepared", 0.25),
        ("submitted", 0.3),
        ("approved", 0.1),
        ("overdue", 0.05),
    ),
    "month2": (
        ("submitted", 0.3),
        ("approved", 0.45),
        ("overdue", 0.1),
        ("rejected", 0.08),
        ("prepared", 0.07),
    ),
    "month3": (
        ("approved", 0.7),
        ("submitted", 0.1),
        ("archived", 0.1),
        ("rejected", 0.05),
        ("overdue", 0.05),
    ),
    "quarter1": (("draft", 0.2), ("prepared", 0.2), ("submitted", 0.3), ("approved", 0.3)),
    "quarter2": (("approved", 0.7), ("submitted", 0.15), ("archived", 0.1), ("overdue", 0.05)),
    "year1": (
        ("approved", 0.45),
        ("submitted", 0.2),
        ("prepared", 0.1),
        ("draft", 0.1),
        ("overdue", 0.1),
        ("rejected", 0.05),
    ),
    "year2": (("approved", 0.5), ("archived", 0.5)),
}
_TAX_RANGES: dict[str, tuple[int, int] | None] = {
    "VAT_MONTHLY": (60_000, 2_500_000),
    "PAYE_MONTHLY": (25_000, 900_000),
    "WHT_MONTHLY": (10_000, 300_000),
    "NIS_MONTHLY": (30_000, 1_200_000),
    "CIT_QUARTERLY": (150_000, 5_000_000),
    "CIT_ANNUAL": (400_000, 20_000_000),
    "PAYE_ANNUAL": None,
    "IIT_ANNUAL": (0, 600_000),
    "PROPERTY_TAX": (20_000, 900_000),
    "NIS_ANNUAL": None,
    "DCRA_ANNUAL": None,
    "BN_RENEWAL": None,
}
_REJECTION_REASONS = (
    "figures do not agree with the payroll schedule",
    "missing signature of a director",
    "TIN on the return does not match the registration",
    "input VAT claimed without supporting invoices",
)

_REQUEST_STATUS_WEIGHTS = (
    ("new", 0.15),
    ("in_progress", 0.3),
    ("awaiting_client", 0.15),
    ("awaiting_authority", 0.15),
    ("completed", 0.18),
    ("cancelled", 0.07),
)
_PRIORITY_WEIGHTS = (("low", 0.2), ("medium", 0.45), ("high", 0.25), ("urgent", 0.1))
_TASK_STATUS_WEIGHTS = (
    ("open", 0.35),
    ("in_progress", 0.3),
    ("blocked", 0.1),
    ("completed", 0.25),
)


@dataclass
class _DocPlan:
    type_name: str
    bucket: str
    offset_days: int  # relative expiry within the bucket, or issue age without expiry
    grant_months: int
    review: float
    upload_delay: int
    number: int
    on_business: bool


@dataclass
class _FilingPlan:
    code: str
    period: tuple[str, int, int]  # ("month" | "quarter" | "year", year, month or quarter)
    status: str
    tax: float | None
    submit_delay: int
    approve_delay: int
    reference: int
    reason: int
    on_business: bool


@dataclass
class _RequestPlan:
    service: str
    status: str
    priority: str
    created_days_ago: int
    with_steps: bool
    progress: float


@dataclass
class _TaskPlan:
    kind: str  # filing | request | document | review
    target: int  # index into the client's filings / requests / documents
    status: str
    priority: str
    due_in_days: int
    assignee_role: str


@dataclass
class _ClientTaskPlan:
    title: str
    description: str
    status: str
    due_in_days: int
    request: int | None


@dataclass
class _ClientPlan:
    name: str
    type: str
    sector: str | None
    email: str | None
    phone: str
    address: str
    tin: str
    nis_number: str | None
    risk_level: str
    notes: str | None
    since_days: int
    businesses: list[dict[str, Any]] = field(default_factory=list)
    documents: list[_DocPlan] = field(default_factory=list)
    filings: list[_FilingPlan] = field(default_factory=list)
    recurring: list[str] = field(default_factory=list)
    recurring_due: bool = False  # its schedules' next run is this month's first day, past
    requests: list[_RequestPlan] = field(default_factory=list)
    tasks: list[_TaskPlan] = field(default_factory=list)
    client_tasks: list[_ClientTaskPlan] = field(default_factory=list)
    portal: bool = False
    conversation: bool = False
    notification: int | None = None  # index into the notification kinds


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    """One draw, whatever the outcome, so the RNG stream doesn't depend on the values."""
    x = rng.random() * sum(w for _, w in options)
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _initials(text: str) -> str:
    """A document number prefix: "Certificate of compliance (tax clearance)" -> "COCT"."""
    return "".join(word[0] for word in re.findall(r"[A-Za-z0-9]+", text)).upper()[:4]


def _phone(rng: random.Random) -> str:
    return f"+592 6{rng.randint(0, 99):02d} {rng.randint(0, 9999):04d}"


def _address(rng: random.Random) -> str:
    if rng.random() < 0.45:
        return f"Lot {rng.randint(1, 250)} {rng.choice(_GEORGETOWN_STREETS)}, Georgetown"
    street, town = rng.choice(_TOWNS)
    return f"Lot {rng.randint(1, 120)} {street}, {town}"


def _months_back(year: int, month: int, back: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) - back
    return index // 12, index % 12 + 1


def _plan_clients(today: datetime) -> list[_ClientPlan]:
    rng = random.Random(SEED)
    kinds = ["company"] * 19 + ["individual"] * 19 + ["partnership"] * 9
    rng.shuffle(kinds)
    used_names = {c["name"] for c in _FIXED_CLIENTS}
    plans: list[_ClientPlan] = []

    for fixed in _FIXED_CLIENTS:
        plans.append(_plan_client(rng, today, dict(fixed)))
    for kind in kinds:
        spec = _client_identity(rng, kind, used_names)
        plans.append(_plan_client(rng, today, spec))

    _ensure_coverage(plans)
    for i, plan in enumerate(plans[:10]):
        plan.notification = i % 5
    plans[3].conversation = True
    plans[7].conversation = True
    return plans


def _client_identity(rng: random.Random, kind: str, used: set[str]) -> dict[str, Any]:
    while True:
        if kind == "individual":
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
            name = f"{first} {last}"
            sector = rng.choice(_INDIVIDUAL_SECTORS)
            email = f"{first}.{last}".lower().replace("-", "") + f"@{rng.choice(_EMAIL_DOMAINS)}"
            extra = {"first": first, "last": last}
        elif kind == "company":
            sector = rng.choice(tuple(_COMPANY_NOUNS))
            name = (
                f"{rng.choice(_PLACES)} {rng.choice(_COMPANY_NOUNS[sector])} "
                f"{rng.choice(('Inc.', 'Ltd.', 'Limited', 'Inc.'))}"
            )
            email = f"accounts@{_slug(name.rsplit(' ', 1)[0])}.gy"
            extra = {}
        else:
            sector = rng.choice(tuple(_PARTNERSHIP_NOUNS))
            a, b = rng.sample(_SURNAMES, 2)
            name = f"{a} & {b} {rng.choice(_PARTNERSHIP_NOUNS[sector])}"
            email = f"{_slug(a)}{_slug(b)}@{rng.choice(_EMAIL_DOMAINS)}".replace("-", "")
            extra = {"last": a}
        if name not in used:
            used.add(name)
            return {"name": name, "type": kind, "sector": sector, "email": email, **extra}


def _plan_client(rng: random.Random, today: datetime, spec: dict[str, Any]) -> _ClientPlan:
    kind = spec["type"]
    sector = spec.get("sector")
    plan = _ClientPlan(
        name=spec["name"],
        type=kind,
        sector=sector,
        email=spec.get("email") if rng.random() < 0.9 or spec.get("portal") else None,
        phone=_phone(rng),
        address=spec.get("address") or _address(rng),
        tin=f"{rng.randint(100_000_000, 999_999_999)}",
        nis_number=None,
        risk_level=_weighted(rng, (("low", 0.5), ("medium", 0.35), ("high", 0.15))),
        notes=None,
        since_days=rng.randint(120, 2600),
        portal=bool(spec.get("portal")),
    )
    nis_digits = rng.randint(1_000_000, 9_999_999)
    if kind == "individual":
        plan.nis_number = f"{rng.choice('ABCD')}{nis_digits}"
    elif rng.random() < 0.7:
        plan.nis_number = f"E{nis_digits}"
    if rng.random() < 0.2:
        plan.notes = rng.choice(
            (
                "Prefers WhatsApp for reminders.",
                "Records arrive late every month; call by the 5th.",
                "Referred by the Georgetown Chamber of Commerce.",
                "Director travels often; get signatures early.",
                "Pays fees quarterly.",
            )
        )

    # Businesses: companies register themselves (and sometimes a trading name); partnerships
    # their firm name; some individuals a sole-trader business name.
    year = today.year - rng.randint(1, 25)
    incorporated = (year, rng.randint(1, 12), rng.randint(1, 28))
    n_extra = 1 if rng.random() < 0.25 else 0
    n_extra += 1 if rng.random() < 0.1 else 0
    status = "dormant" if rng.random() < 0.08 else "active"
    reg_no = rng.randint(1000, 99999)
    if kind == "company":
        plan.businesses.append(
            {
                "name": plan.name,
                "registrationNumber": f"C{reg_no}",
                "registrationType": "Company",
                "incorporated": incorporated,
                "sector": sector,
                "status": status,
            }
        )
        for i in range(n_extra):
            plan.businesses.append(
                {
                    "name": f"{plan.name.split(' ')[0]} {('Express', 'Outlet')[i]}",
                    "registrationNumber": f"BN{reg_no + 17 * (i + 1)}",
                    "registrationType": "Business Name",
                    "incorporated": incorporated,
                    "sector": sector,
                    "status": "active",
                }
            )
    elif kind == "partnership":
        plan.businesses.append(
            {
                "name": plan.name,
                "registrationNumber": f"BN{reg_no}",
                "registrationType": "Partnership",
                "incorporated": incorporated,
                "sector": sector,
                "status": status,
            }
        )
    elif n_extra or rng.random() < 0.3:
        plan.businesses.append(
            {
                "name": f"{spec['last']}'s {_SOLE_TRADER_NOUNS[sector]}",
                "registrationNumber": f"BN{reg_no}",
                "registrationType": "Business Name",
                "incorporated": incorporated,
                "sector": sector,
                "status": status,
            }
        )

    # Documents
    wanted = [name for name, p in _DOCS_BY_TYPE[kind] if rng.random() < p]
    if kind == "company" and sector in _ENVIRONMENTAL_SECTORS and rng.random() < 0.8:
        wanted.append("Environmental authorisation")
    expat = kind == "company" and sector in _EXPAT_SECTORS and rng.random() < 0.5
    expat = expat or plan.portal
    if expat:
        wanted += ["Work permit", "Residence permit"]
    if kind == "company" and rng.random() < 0.1:
        wanted.append("Business visa")
    for name in wanted[:_MAX_DOCS_PER_CLIENT]:
        plan.documents.append(
            _DocPlan(
                type_name=name,
                bucket="",  # assigned in _ensure_coverage, cycling over all clients
                offset_days=rng.randint(1, 10_000),
                grant_months=rng.choice((12, 24, 36)),
                review=rng.random(),
                upload_delay=rng.randint(1, 14),
                number=rng.randint(10_000, 99_999),
                on_business=bool(plan.businesses) and kind != "individual",
            )
        )

    # Filings
    def filing(code: str, period: tuple[str, int, int], weights: str) -> None:
        tax_range = _TAX_RANGES[code]
        amount = rng.randint(*tax_range) if tax_range else None
        plan.filings.append(
            _FilingPlan(
                code=code,
                period=period,
                status=_weighted(rng, _FILING_STATUS_WEIGHTS[weights]),
                tax=float(round(amount, -2)) if amount is not None else None,
                submit_delay=rng.randint(3, 20),
                approve_delay=rng.randint(2, 30),
                reference=rng.randint(100_000, 999_999),
                reason=rng.randrange(len(_REJECTION_REASONS)),
                on_business=kind != "individual",
            )
        )

    monthly: list[str] = []
    if kind in ("company", "partnership"):
        employer = rng.random() < (0.85 if kind == "company" else 0.6)
        vat = rng.random() < (0.6 if kind == "company" else 0.5) or plan.portal
        wht = kind == "company" and rng.random() < 0.15
        monthly = [
            code
            for code, on in (
                ("VAT_MONTHLY", vat),
                ("PAYE_MONTHLY", employer),
                ("NIS_MONTHLY", employer),
                ("WHT_MONTHLY", wht),
            )
            if on
        ]
        for back in (1, 2, 3):
            y, m = _months_back(today.year, today.month, back)
            for code in monthly:
                filing(code, ("month", y, m), f"month{back}")
        if kind == "company":
            current_q = (today.month - 1) // 3
            for back in (1, 2):
                index = today.year * 4 + current_q - back
                filing("CIT_QUARTERLY", ("quarter", index // 4, index % 4 + 1), f"quarter{back}")
            last = today.year - 1
            filing("CIT_ANNUAL", ("year", last, 0), "year1")
            filing("DCRA_ANNUAL", ("year", last, 0), "year1")
            if employer:
                filing("PAYE_ANNUAL", ("year", last, 0), "year1")
            if employer and rng.random() < 0.5:
                filing("NIS_ANNUAL", ("year", last, 0), "year1")
            if rng.random() < 0.3:
                filing("PROPERTY_TAX", ("year", last, 0), "year1")
            filing("CIT_ANNUAL", ("year", last - 1, 0), "year2")
        else:
            filing("BN_RENEWAL", ("year", today.year - 1, 0), "year1")
        if rng.random() < 0.6:
            plan.recurring = monthly[:]
            # Half of these schedules have not run for last month yet, and its filings are not
            # made: the first `gcmc filings generate` on fresh demo data (or the app's own run
            # at start) creates them as drafts; a second run creates none.
            plan.recurring_due = bool(monthly) and rng.random() < 0.5
            if plan.recurring_due:
                last_month = ("month", *_months_back(today.year, today.month, 1))
                plan.filings = [
                    f for f in plan.filings if not (f.code in monthly and f.period == last_month)
                ]
    else:
        filing("IIT_ANNUAL", ("year", today.year - 1, 0), "year1")
        filing("IIT_ANNUAL", ("year", today.year - 2, 0), "year2")

    # Service requests
    forced = list(spec.get("services", ()))
    n_requests = len(forced) or int(_weighted(rng, (("0", 0.4), ("1", 0.45), ("2", 0.15))))
    for i in range(n_requests):
        service = forced[i] if forced else rng.choice(_SERVICES_BY_TYPE[kind])
        status = _weighted(rng, _REQUEST_STATUS_WEIGHTS)
        plan.requests.append(
            _RequestPlan(
                service=service,
                status=status,
                priority=_weighted(rng, _PRIORITY_WEIGHTS),
                created_days_ago=rng.randint(30, 150)
                if status == "completed"
                else rng.randint(2, 60),
                with_steps=rng.random() < 0.85 or plan.portal,
                progress=rng.random(),
            )
        )
    if plan.portal:
        plan.requests[0].status = "awaiting_client"
        plan.requests[0].priority = "high"

    # Staff tasks
    n_tasks = int(_weighted(rng, (("0", 0.3), ("1", 0.45), ("2", 0.25)))) + plan.portal
    for _ in range(n_tasks):
        options = ["review"]
        if plan.filings:
            options.append("filing")
        if plan.requests:
            options.append("request")
        if plan.documents:
            options.append("document")
        kind_choice = options[rng.randrange(len(options))]
        sizes = {
            "filing": len(plan.filings),
            "request": len(plan.requests),
            "document": len(plan.documents),
            "review": 1,
        }
        plan.tasks.append(
            _TaskPlan(
                kind=kind_choice,
                target=rng.randrange(sizes[kind_choice]),
                status=_weighted(rng, _TASK_STATUS_WEIGHTS),
                priority=_weighted(rng, _PRIORITY_WEIGHTS),
                due_in_days=rng.randint(-20, 30),
                assignee_role=rng.choice(STAFF_ROLES),
            )
        )

    # Client (portal) tasks
    if plan.portal:
        plan.client_tasks = [
            _ClientTaskPlan(
                "Upload passport of the new employee",
                "A clear scan of the photo page for the work permit application.",
                "pending",
                5,
                0,
            ),
            _ClientTaskPlan(
                "Send sales and purchase invoices",
                "All invoices for last month's VAT return.",
                "in_progress",
                3,
                1,
            ),
            _ClientTaskPlan(
                "Sign the engagement letter",
                "Sign and upload the engagement letter for this year.",
                "completed",
                -20,
                None,
            ),
            _ClientTaskPlan(
                "Confirm business address",
                "No longer needed: the address was confirmed by phone.",
                "cancelled",
                -5,
                None,
            ),
        ]
    else:
        for index, request in enumerate(plan.requests):
            if request.status == "awaiting_client":
                plan.client_tasks.append(
                    _ClientTaskPlan(
                        f"Send the documents requested for: {request.service}",
                        "Please upload the documents listed in our last message.",
                        "pending",
                        rng.randint(2, 14),
                        index,
                    )
                )
    return plan


def _ensure_coverage(plans: list[_ClientPlan]) -> None:
    """Cycle document expiry buckets, and make sure every status value appears at least once."""
    docs = [d for p in plans for d in p.documents]
    for i, doc in enumerate(docs):
        doc.bucket = _EXPIRY_BUCKETS[i % len(_EXPIRY_BUCKETS)]

    def cover(items: list[Any], values: tuple[str, ...]) -> None:
        for value in values:
            counts = Counter(item.status for item in items)
            if counts[value]:
                continue
            common = counts.most_common(1)[0][0]
            next(item for item in items if item.status == common).status = value

    cover([f for p in plans for f in p.filings], ref.FILING_STATUSES)
    cover([r for p in plans for r in p.requests], ref.SERVICE_REQUEST_STATUSES)
    cover([t for p in plans for t in p.tasks], ref.TASK_STATUSES)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> datetime:
    return datetime(year, month, calendar.monthrange(year, month)[1])


def _period(period: tuple[str, int, int]) -> tuple[datetime, datetime, str]:
    kind, year, n = period
    if kind == "month":
        return datetime(year, n, 1), _month_end(year, n), f"{calendar.month_name[n]} {year}"
    if kind == "quarter":
        return datetime(year, 3 * n - 2, 1), _month_end(year, 3 * n), f"Q{n} {year}"
    return datetime(year, 1, 1), datetime(year, 12, 31), str(year)


def _add_months(moment: datetime, months: int) -> datetime:
    year, month = _months_back(moment.year, moment.month, -months)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class _Seeder:
    def __init__(self, session: Session, storage: StorageProvider | None = None) -> None:
        self.s = session
        self.summary = SeedSummary()
        # The versions record where their files live; without a store, the default folder.
        self.provider_name = storage.name if storage is not None else "local"
        self._document_ids: list[int] = []
        self.now = utcnow()
        self.today = datetime(self.now.year, self.now.month, self.now.day)

    def add(self, obj: Any) -> Any:
        self.s.add(obj)
        name = _SUMMARY_FIELD[type(obj)]
        setattr(self.summary, name, getattr(self.summary, name) + 1)
        return obj

    # --- orchestration ---------------------------------------------------------------------

    def run(self) -> None:
        tenant = self.tenant(ref.DEMO_TENANT)
        roles = self.roles(tenant)
        users: dict[str, User] = {}
        for spec in ref.DEMO_USERS:
            users[spec["role"]] = self.user(
                tenant,
                roles[spec["role"]],
                spec["email"],
                spec["name"],
                ref.demo_password(spec["role"]),
            )
        doc_types = self.document_types(tenant)
        filing_types = self.filing_types(tenant)
        self.services(tenant, doc_types, filing_types)
        self.bundles(tenant, doc_types, filing_types)
        self.rule_sets(tenant, doc_types, filing_types)
        self.plan_and_subscription(tenant)
        self.clients(tenant, users, doc_types, filing_types)

        second = self.tenant(ref.SECOND_TENANT)
        second_roles = self.roles(second)
        admin = ref.SECOND_FIRM_ADMIN
        self.user(
            second, second_roles[admin["role"]], admin["email"], admin["name"], admin["password"]
        )
        two = TWO_FIRM_USER
        for firm, firm_roles in ((tenant, roles), (second, second_roles)):
            role = firm_roles[two["roles"][firm.code]]
            self.user(firm, role, two["email"], two["name"], two["password"])
        existing = self.client_names(second)
        for i, spec in enumerate(_SECOND_FIRM_CLIENTS):
            if spec["name"] not in existing:
                values = validate_client(
                    {
                        "name": spec["name"],
                        "type": spec["type"],
                        "sector": spec["sector"],
                        "phone": f"+592 6{40 + i}0 1{i}{i}{i}",
                        "address": "Main Street, New Amsterdam, Berbice",
                        "tin": f"70000000{i + 1}",
                        "risk_level": "low",
                    }
                )
                self.add(Client(tenant_id=second.id, **values))

    # --- tenancy and users -----------------------------------------------------------------

    def tenant(self, spec: dict[str, Any]) -> Tenant:
        tenant = self.s.scalar(select(Tenant).where(Tenant.code == spec["code"]))
        if tenant is None:
            tenant = self.add(
                Tenant(
                    name=spec["name"],
                    code=spec["code"],
                    contact_info=copy.deepcopy(spec["contactInfo"]),
                    settings=copy.deepcopy(spec["settings"]),
                )
            )
            self.s.flush()
        return tenant

    def roles(self, tenant: Tenant) -> dict[str, Role]:
        roles = {
            r.name: r
            for r in self.s.scalars(
                select(Role).where(Role.tenant_id == tenant.id).order_by(Role.id)
            )
        }
        for name in ref.ROLE_NAMES:
            if name not in roles:
                roles[name] = self.add(
                    Role(tenant_id=tenant.id, name=name, description=ref.ROLE_DESCRIPTIONS[name])
                )
        self.s.flush()
        ids = [roles[name].id for name in ref.ROLE_NAMES]
        with_rows = set(
            self.s.scalars(select(Permission.role_id).where(Permission.role_id.in_(ids)).distinct())
        )
        for name in ref.ROLE_NAMES:
            role = roles[name]
            if role.id in with_rows:
                continue
            for module, actions in ref.ROLE_PERMISSIONS[name].items():
                for action in actions:
                    self.add(
                        Permission(role_id=role.id, module=module, action=action, allowed=True)
                    )
        return roles

    def user(self, tenant: Tenant, role: Role, email: str, name: str, password: str) -> User:
        email = email.lower()
        user = self.s.scalar(select(User).where(User.email == email))
        if user is None:
            user = self.add(User(id=new_id(), name=name, email=email, email_verified=True))
            self.s.flush()
        account = self.s.scalar(
            select(Account).where(Account.user_id == user.id, Account.provider_id == "credential")
        )
        if account is None:
            self.add(
                Account(
                    id=new_id(),
                    account_id=user.id,
                    provider_id="credential",
                    user_id=user.id,
                    password=hash_password(password),
                )
            )
        membership = self.s.scalar(
            select(TenantUser).where(
                TenantUser.tenant_id == tenant.id, TenantUser.user_id == user.id
            )
        )
        if membership is None:
            self.add(TenantUser(tenant_id=tenant.id, user_id=user.id, role_id=role.id))
        return user

    # --- reference types, services, compliance ---------------------------------------------

    def document_types(self, tenant: Tenant) -> dict[str, DocumentType]:
        existing = {
            (t.name, t.category): t
            for t in self.s.scalars(
                select(DocumentType)
                .where(DocumentType.tenant_id == tenant.id)
                .order_by(DocumentType.id)
            )
        }
        by_name: dict[str, DocumentType] = {}
        for spec in ref.DOCUMENT_TYPES:
            row = existing.get((spec["name"], spec["category"]))
            if row is None:
                values = validate_document_type(
                    {
                        "name": spec["name"],
                        "category": spec["category"],
                        "description": spec["description"],
                        "tags": list(spec["tags"]),
                        "authority": spec["authority"],
                        "meta": copy.deepcopy(spec["metadata"]),
                    }
                )
                row = self.add(DocumentType(tenant_id=tenant.id, **values))
            by_name[spec["name"]] = row
        self.s.flush()
        return by_name

    def filing_types(self, tenant: Tenant) -> dict[str, FilingType]:
        existing = {
            t.code: t
            for t in self.s.scalars(select(FilingType).where(FilingType.tenant_id == tenant.id))
        }
        for spec in ref.FILING_TYPES:
            if spec["code"] not in existing:
                existing[spec["code"]] = self.add(
                    FilingType(
                        tenant_id=tenant.id,
                        code=spec["code"],
                        name=spec["name"],
                        authority=spec["authority"],
                        frequency=spec["frequency"],
                        default_due_day=spec["defaultDueDay"],
                        default_due_month=spec["defaultDueMonth"],
                        description=spec["description"],
                    )
                )
        self.s.flush()
        return existing

    def services(
        self,
        tenant: Tenant,
        doc_types: dict[str, DocumentType],
        filing_types: dict[str, FilingType],
    ) -> None:
        services: dict[str, Service] = {}
        for row in self.s.scalars(
            select(Service).where(Service.tenant_id == tenant.id).order_by(Service.id)
        ):
            services.setdefault(row.name, row)
        templates = {
            (t.service_id, t.name)
            for t in self.s.scalars(
                select(ServiceRequestTemplate).where(ServiceRequestTemplate.tenant_id == tenant.id)
            )
        }
        for spec in ref.SERVICES:
            service = services.get(spec["name"])
            if service is None:
                # Through the catalog's own validation: the demo offers what a user could enter.
                values = validate_service(
                    {
                        "name": spec["name"],
                        "category": spec["category"],
                        "description": spec["description"],
                        "base_price": spec["basePrice"],
                        "estimated_days": spec["estimatedDays"],
                        "active": True,
                    }
                )
                service = self.add(Service(tenant_id=tenant.id, **values))
                self.s.flush()
            template = spec["template"]
            if (service.id, template["name"]) in templates:
                continue
            values = validate_template(
                {
                    "name": template["name"],
                    "service_id": service.id,
                    "description": template["description"],
                    "steps_definition": [
                        self.step_definition(step, doc_types, filing_types)
                        for step in template["steps"]
                    ],
                }
            )
            self.add(ServiceRequestTemplate(tenant_id=tenant.id, **values))
        self.s.flush()

    @staticmethod
    def step_definition(
        step: dict[str, Any],
        doc_types: dict[str, DocumentType],
        filing_types: dict[str, FilingType],
    ) -> dict[str, Any]:
        """The stored form of a reference step: helper names resolved to this tenant's ids."""
        out: dict[str, Any] = {
            "order": step["order"],
            "title": step["title"],
            "description": step["description"],
            "requiredDocTypeIds": [doc_types[name].id for name in step["requiredDocTypes"]],
            "dueInDays": step["dueInDays"],
        }
        if step.get("dependsOnOrder") is not None:
            out["dependsOnOrder"] = step["dependsOnOrder"]
        if step.get("filingTypeCode"):
            out["filingTypeId"] = filing_types[step["filingTypeCode"]].id
        return out

    def bundles(
        self,
        tenant: Tenant,
        doc_types: dict[str, DocumentType],
        filing_types: dict[str, FilingType],
    ) -> None:
        existing = self.names_in(RequirementBundle, tenant)
        for spec in ref.REQUIREMENT_BUNDLES:
            if spec["name"] in existing:
                continue
            bundle = self.add(
                RequirementBundle(
                    tenant_id=tenant.id,
                    name=spec["name"],
                    authority=spec["authority"],
                    category=spec["category"],
                    description=spec["description"],
                )
            )
            for order, item in enumerate(spec["items"], start=1):
                doc = doc_types[item["document"]] if "document" in item else None
                filing = filing_types[item["filing"]] if "filing" in item else None
                self.add(
                    RequirementBundleItem(
                        bundle=bundle,
                        document_type_id=doc.id if doc else None,
                        filing_type_id=filing.id if filing else None,
                        required=item["required"],
                        description=(doc.name if doc else filing.name if filing else None),
                        order=order,
                    )
                )

    def rule_sets(
        self,
        tenant: Tenant,
        doc_types: dict[str, DocumentType],
        filing_types: dict[str, FilingType],
    ) -> None:
        existing = self.names_in(ComplianceRuleSet, tenant)
        for spec in ref.RULE_SETS:
            if spec["name"] in existing:
                continue
            rule_set = self.add(
                ComplianceRuleSet(
                    tenant_id=tenant.id,
                    name=spec["name"],
                    applies_to=copy.deepcopy(spec["appliesTo"]),
                    active=spec["active"],
                )
            )
            for rule in spec["rules"]:
                target = None
                if "document" in rule:
                    target = doc_types[rule["document"]].id
                elif "filing" in rule:
                    target = filing_types[rule["filing"]].id
                self.add(
                    ComplianceRule(
                        rule_set=rule_set,
                        rule_type=rule["ruleType"],
                        condition=copy.deepcopy(rule["condition"]),
                        target_id=target,
                        weight=rule["weight"],
                        description=rule["description"],
                    )
                )

    def plan_and_subscription(self, tenant: Tenant) -> None:
        spec = ref.PROFESSIONAL_PLAN
        plan = self.s.scalar(select(Plan).where(Plan.name == spec["name"]).order_by(Plan.id))
        if plan is None:
            plan = self.add(
                Plan(
                    name=spec["name"],
                    description=spec["description"],
                    monthly_price=spec["monthlyPrice"],
                    yearly_price=spec["yearlyPrice"],
                    limits=copy.deepcopy(spec["limits"]),
                )
            )
            self.s.flush()
        subscription = self.s.scalar(
            select(Subscription).where(
                Subscription.tenant_id == tenant.id, Subscription.plan_id == plan.id
            )
        )
        if subscription is None:
            self.add(
                Subscription(
                    tenant_id=tenant.id,
                    plan_id=plan.id,
                    status="active",
                    start_date=datetime(self.now.year, 1, 1),
                    renewal_date=datetime(self.now.year + 1, 1, 1),
                )
            )

    # --- clients ---------------------------------------------------------------------------

    def names_in(self, model: type, tenant: Tenant) -> set[str]:
        """Names the tenant already has for `model`: the seed adds only what is missing."""
        return set(self.s.scalars(select(model.name).where(model.tenant_id == tenant.id)))

    def client_names(self, tenant: Tenant) -> dict[str, Client]:
        found: dict[str, Client] = {}
        for client in self.s.scalars(
            select(Client).where(Client.tenant_id == tenant.id).order_by(Client.id)
        ):
            found.setdefault(client.name, client)
        return found

    def clients(
        self,
        tenant: Tenant,
        users: dict[str, User],
        doc_types: dict[str, DocumentType],
        filing_types: dict[str, FilingType],
    ) -> None:
        existing = self.client_names(tenant)
        plans = _plan_clients(self.today)
        self.service_by_name: dict[str, Service] = {}
        for service in self.s.scalars(
            select(Service).where(Service.tenant_id == tenant.id).order_by(Service.id)
        ):
            self.service_by_name.setdefault(service.name, service)
        self.template_by_service: dict[int, ServiceRequestTemplate] = {}
        for template in self.s.scalars(
            select(ServiceRequestTemplate)
            .where(ServiceRequestTemplate.tenant_id == tenant.id)
            .order_by(ServiceRequestTemplate.id)
        ):
            self.template_by_service.setdefault(template.service_id, template)
        created: list[tuple[_ClientPlan, Client, _Built]] = []
        # Document ids are drawn up front: a version's storage key contains its document's id,
        # and knowing it before the flush spares an UPDATE per version.
        wanted = sum(len(p.documents) for p in plans if p.name not in existing)
        self._document_ids = list(
            self.s.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('documents', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": wanted},
            )
        )
        self._document_ids.reverse()
        for plan in plans:
            if plan.name in existing:
                continue
            client, built = self.client(tenant, plan, users, doc_types, filing_types)
            existing[plan.name] = client
            created.append((plan, client, built))
        self.s.flush()  # ids for notification metadata

        portal_user = users["ClientPortalUser"]
        for plan in plans:
            if not plan.portal:
                continue
            client = existing[plan.name]
            found = self.s.scalar(
                select(ClientPortalAccess.id).where(
                    ClientPortalAccess.tenant_id == tenant.id,
                    ClientPortalAccess.user_id == portal_user.id,
                    ClientPortalAccess.client_id == client.id,
                )
            )
            if found is None:
                self.add(
                    ClientPortalAccess(
                        tenant_id=tenant.id, user_id=portal_user.id, client_id=client.id
                    )
                )

        for plan, client, built in created:
            if plan.portal or plan.conversation:
                self.conversation(tenant, plan, client, built, users)
            if plan.notification is not None:
                self.notification(tenant, plan, client, built, users)

    def client(
        self,
        tenant: Tenant,
        plan: _ClientPlan,
        users: dict[str, User],
        doc_types: dict[str, DocumentType],
        filing_types: dict[str, FilingType],
    ) -> tuple[Client, _Built]:
        t = tenant.id
        values = validate_client(
            {
                "name": plan.name,
                "type": plan.type,
                "email": plan.email,
                "phone": plan.phone,
                "address": plan.address,
                "tin": plan.tin,
                "nis_number": plan.nis_number,
                "sector": plan.sector,
                "risk_level": plan.risk_level,
                "notes": plan.notes,
            }
        )
        client = self.add(
            Client(tenant_id=t, created_at=self.now - timedelta(days=plan.since_days), **values)
        )
        built = _Built()
        for spec in plan.businesses:
            y, m, d = spec["incorporated"]
            values = validate_business(
                {
                    "name": spec["name"],
                    "registration_number": spec["registrationNumber"],
                    "registration_type": spec["registrationType"],
                    "incorporation_date": datetime(y, m, d),
                    "country": "Guyana",
                    "sector": spec["sector"],
                    "status": spec["status"],
                }
            )
            built.businesses.append(self.add(ClientBusiness(tenant_id=t, client=client, **values)))
        business = built.businesses[0] if built.businesses else None

        for doc_plan in plan.documents:
            built.documents.append(
                self.document(t, plan, client, business, doc_plan, doc_types, users)
            )
        for filing_plan in plan.filings:
            built.filings.append(
                self.filing(t, client, business, filing_plan, filing_types[filing_plan.code])
            )
        self.link_filing_documents(built)
        this_month = datetime(self.now.year, self.now.month, 1)
        last_run, next_run = (
            (_add_months(this_month, -1), this_month)
            if plan.recurring_due
            else (this_month, _add_months(this_month, 1))
        )
        for code in plan.recurring:
            self.add(
                RecurringFiling(
                    tenant_id=t,
                    client=client,
                    client_business=business,
                    filing_type=filing_types[code],
                    schedule="monthly",
                    active=True,
                    last_run_at=last_run,
                    next_run_at=next_run,
                )
            )
        for request_plan in plan.requests:
            built.requests.append(self.request(tenant, client, business, request_plan))
        for task_plan in plan.tasks:
            self.task(t, plan, client, built, task_plan, users)
        for ct in plan.client_tasks:
            due = self.today + timedelta(days=ct.due_in_days)
            self.add(
                ClientTask(
                    tenant_id=t,
                    client=client,
                    service_request=built.requests[ct.request] if ct.request is not None else None,
                    title=ct.title,
                    description=ct.description,
                    status=ct.status,
                    due_date=due,
                    completed_at=min(due, self.now) if ct.status == "completed" else None,
                )
            )
        return client, built

    def document(
        self,
        tenant_id: int,
        plan: _ClientPlan,
        client: Client,
        business: ClientBusiness | None,
        doc: _DocPlan,
        doc_types: dict[str, DocumentType],
        users: dict[str, User],
    ) -> Document:
        doc_type = doc_types[doc.type_name]
        meta = doc_type.meta if isinstance(doc_type.meta, dict) else {}
        validity = meta.get("typicalValidityMonths")
        if validity is None and doc.type_name in _PER_GRANT:
            validity = doc.grant_months

        expiry: datetime | None = None
        if validity:
            validity_days = (_add_months(self.today, validity) - self.today).days
            low, high = {
                "expired": (-300, -1),
                "expiring30": (1, 29),
                "expiring60": (31, 60),
                "expiring90": (61, 90),
                "valid": (91, max(91, validity_days - 1)),
            }[doc.bucket]
            offset = low + doc.offset_days % (high - low + 1)
            expiry = self.today + timedelta(days=offset)
            issue = _add_months(expiry, -validity)
        elif (
            business is not None
            and business.incorporation_date is not None
            and plan.type != "individual"
            and doc_type.category in ("incorporation", "identification")
        ):
            # registrations follow the business's incorporation
            delay = 0 if doc_type.category == "incorporation" else doc.offset_days % 120
            issue = business.incorporation_date + timedelta(days=delay)
        else:
            issue = self.today - timedelta(days=30 + doc.offset_days % 2500)
        issue = min(issue, self.today - timedelta(days=1))
        uploaded = min(issue + timedelta(days=doc.upload_delay), self.now - timedelta(hours=1))

        if expiry is not None and expiry < self.now:
            status = "expired"
        elif doc.review < 0.07:
            status = "pending_review"
            uploaded = max(issue, self.now - timedelta(days=1 + doc.upload_delay % 5))
        elif doc.review < 0.10:
            status = "rejected"
        else:
            status = "valid"

        number = {
            "TIN certificate": plan.tin,
            "NIS card": plan.nis_number,
            "Employer registration (R1)": plan.nis_number,
        }.get(doc.type_name) or f"{_initials(doc.type_name)}-{issue.year}-{doc.number}"
        on_business = (
            business if doc.on_business and doc_type.category != "identification" else None
        )
        holder = on_business.name if on_business else client.name
        file_name = f"{_slug(doc.type_name)}-{issue.year}.pdf"
        title = f"{doc.type_name} - {holder}"
        authority = ref.AUTHORITY_NAMES.get(doc_type.authority or "", None)
        content = demo_pdf(title, number, issue, expiry, authority)
        sha = hashlib.sha256(content).hexdigest()
        document_id = self._document_ids.pop()
        values = validate_document(
            {
                "document_type_id": doc_type.id,
                "title": title,
                "description": doc_type.description,
                "status": status,
                "authority": doc_type.authority,
                "tags": list(doc_type.tags or []),
            },
            partial=False,
        )
        del values["document_type_id"]  # set through the relationship below
        document = self.add(
            Document(
                id=document_id,
                tenant_id=tenant_id,
                client=client,
                client_business=on_business,
                document_type=doc_type,
                **values,
            )
        )
        version = self.add(
            DocumentVersion(
                document=document,
                file_url=object_key(tenant_id, document_id, sha),
                storage_provider=self.provider_name,
                file_size=len(content),
                mime_type="application/pdf",
                issue_date=issue,
                expiry_date=expiry,
                issuing_authority=authority,
                meta={
                    "documentNumber": number,
                    "originalName": file_name,
                    "sha256": sha,
                    "demo": True,
                },
                uploaded_by_id=users["DocumentOfficer"].id,
                uploaded_at=uploaded,
                is_latest=True,
            )
        )
        document.latest_version = version
        return document

    def filing(
        self,
        tenant_id: int,
        client: Client,
        business: ClientBusiness | None,
        plan: _FilingPlan,
        filing_type: FilingType,
    ) -> Filing:
        start, end, label = _period(plan.period)
        status = plan.status
        submitted = approved = None
        if status in ("submitted", "approved", "rejected", "archived"):
            submitted = min(end + timedelta(days=plan.submit_delay), self.now - timedelta(days=1))
        if status in ("approved", "archived"):
            approved = min(submitted + timedelta(days=plan.approve_delay), self.now)
        tax = plan.tax
        penalties = interest = 0.0 if tax is not None else None
        notes = None
        if status == "overdue":
            late_months = max(1, (self.now - end).days // 30)
            if tax is not None:
                penalties = round(max(1000.0 * min(late_months * 30, 60), 0.1 * tax), 2)
                interest = round(tax * 0.02 * late_months, 2)
            notes = "Client has not sent the records; reminder sent."
        elif status == "rejected":
            notes = f"Returned by {filing_type.authority}: {_REJECTION_REASONS[plan.reason]}."
        total = None if tax is None else round(tax + (penalties or 0) + (interest or 0), 2)
        reference = None
        if submitted is not None:
            reference = f"{filing_type.authority}-{end.year}-{plan.reference}"
        return self.add(
            Filing(
                tenant_id=tenant_id,
                client=client,
                client_business=business if plan.on_business else None,
                filing_type=filing_type,
                period_start=start,
                period_end=end,
                period_label=label,
                status=status,
                reference_number=reference,
                tax_amount=tax,
                penalties=penalties,
                interest=interest,
                total=total,
                submission_date=submitted,
                approval_date=approved,
                internal_notes=notes,
            )
        )

    def link_filing_documents(self, built: _Built) -> None:
        """Annual tax returns that were filed carry the client's TIN certificate."""
        tin = next((d for d in built.documents if d.document_type.name == "TIN certificate"), None)
        if tin is None:
            return
        for filing in built.filings:
            if filing.filing_type.code in ("CIT_ANNUAL", "IIT_ANNUAL") and filing.status in (
                "submitted",
                "approved",
                "archived",
            ):
                self.add(FilingDocument(filing=filing, document=tin))

    def request(
        self,
        tenant: Tenant,
        client: Client,
        business: ClientBusiness | None,
        plan: _RequestPlan,
    ) -> ServiceRequest:
        service = self.service_by_name[plan.service]  # ensured by services() above
        template = self.template_by_service.get(service.id)
        created = self.now - timedelta(days=plan.created_days_ago)
        request = self.add(
            ServiceRequest(
                tenant_id=tenant.id,
                client=client,
                client_business=business,
                service=service,
                status=plan.status,
                priority=plan.priority,
                meta={"source": "demo"},
                created_at=created,
            )
        )
        definitions = read_steps(template.steps_definition) if template and plan.with_steps else []
        if not definitions:
            return request
        request.template = template
        n = len(definitions)
        done = min(n - 1, int(plan.progress * n))
        if plan.status == "new":
            done = 0
        elif plan.status == "awaiting_authority":
            done = max(done, min(1, n - 1))
        elif plan.status == "completed":
            done = n
        by_order: dict[int, ServiceStep] = {}
        for index, definition in enumerate(definitions):
            if index < done:
                status = "done"
            elif index == done and plan.status in ("in_progress", "awaiting_authority"):
                status = "in_progress"
            elif index == done and plan.status == "awaiting_client":
                status = "blocked"
            else:
                status = "not_started"
            due_in = definition.due_in_days
            step = self.add(
                ServiceStep(
                    service_request=request,
                    title=definition.title,
                    description=definition.description or None,
                    order=definition.order,
                    status=status,
                    due_date=created + timedelta(days=due_in) if due_in is not None else None,
                    required_doc_type_ids=list(definition.required_document_type_ids),
                )
            )
            by_order[definition.order] = step
        for definition in definitions:
            depends = definition.depends_on_order
            if depends in by_order:
                by_order[definition.order].depends_on = by_order[depends]
        open_orders = [d.order for i, d in enumerate(definitions) if i >= done]
        request.current_step_order = open_orders[0] if open_orders else definitions[-1].order
        return request

    def task(
        self,
        tenant_id: int,
        plan: _ClientPlan,
        client: Client,
        built: _Built,
        task: _TaskPlan,
        users: dict[str, User],
    ) -> None:
        filing = request = None
        if task.kind == "filing":
            filing = built.filings[task.target]
            title = f"Prepare {filing.filing_type.name} - {filing.period_label}"
            description = f"Get the records from {client.name} and prepare the return."
        elif task.kind == "request":
            request = built.requests[task.target]
            title = f"Follow up: {request.service.name}"
            description = f"Move {client.name}'s request to the next step."
        elif task.kind == "document":
            document = built.documents[task.target]
            title = f"Check {document.document_type.name} for {client.name}"
            description = "Confirm the document is current; request a renewal if it expires soon."
        else:
            title = f"Annual review call with {client.name}"
            description = "Review obligations, deadlines and fees with the client."
        self.add(
            Task(
                tenant_id=tenant_id,
                client=client,
                filing=filing,
                service_request=request,
                title=title,
                description=description,
                status=task.status,
                priority=task.priority,
                due_date=self.today + timedelta(days=task.due_in_days, hours=17),
                assigned_to=users[task.assignee_role],
            )
        )

    def conversation(
        self,
        tenant: Tenant,
        plan: _ClientPlan,
        client: Client,
        built: _Built,
        users: dict[str, User],
    ) -> None:
        request = built.requests[0] if built.requests else None
        subject = f"{request.service.name}" if request else f"Records for {client.name}"
        # The request is this client's by construction; subject and bodies pass the service's
        # rules, and the last activity is the last message, as posting leaves it.
        values = validate_conversation({"subject": subject}, partial=True)
        conversation = self.add(
            Conversation(tenant_id=tenant.id, client=client, service_request=request, **values)
        )
        if plan.portal:
            lines = [
                ("ComplianceOfficer", "Good morning. For the work permit we still need a scan "
                 "of the employee's passport photo page."),
                ("ClientPortalUser", "Noted, I will upload it this week. Is a phone photo fine?"),
                ("ComplianceOfficer", "A clear phone photo is fine as long as all four corners "
                 "are visible."),
                ("ClientPortalUser", "Uploaded it just now, please confirm you received it."),
            ]  # fmt: skip
        else:
            lines = [
                ("ComplianceManager", f"Do we have everything we need from {client.name}?"),
                ("ComplianceOfficer", "Still waiting on the bank statements from the client."),
                ("FirmAdmin", "Please call them today; the deadline is close."),
            ]
        start = self.now - timedelta(days=3)
        for i, (role, body) in enumerate(lines):
            last = i == len(lines) - 1
            self.add(
                Message(
                    tenant_id=tenant.id,
                    conversation=conversation,
                    author=users[role],
                    body=clean_body(body),
                    created_at=start + timedelta(hours=5 * i),
                    read_at=None if last else start + timedelta(hours=5 * i + 1),
                )
            )
        conversation.updated_at = start + timedelta(hours=5 * (len(lines) - 1))

    def notification(
        self,
        tenant: Tenant,
        plan: _ClientPlan,
        client: Client,
        built: _Built,
        users: dict[str, User],
    ) -> None:
        kind = plan.notification or 0
        meta: dict[str, Any] = {"clientId": client.id, "demo": True}
        dated = [d for d in built.documents if d.latest_version and d.latest_version.expiry_date]
        open_filings = [f for f in built.filings if f.status in ("draft", "prepared", "overdue")]
        message = f"New documents uploaded for {client.name}"
        if kind in (0, 4) and dated:
            document = min(dated, key=lambda d: d.latest_version.expiry_date)
            expiry = document.latest_version.expiry_date
            when = "expired on" if expiry < self.now else "expires on"
            message = f"{document.title} {when} {expiry:%d/%m/%Y}"
            meta["documentId"] = document.id
        elif kind == 2:
            message = f"Weekly compliance summary: {client.name}"
        elif kind == 3 and open_filings:
            filing = open_filings[0]
            message = (
                f"Reminder: {filing.filing_type.name} ({filing.period_label}) is not filed yet"
            )
            meta["filingId"] = filing.id
        type_, status, role = [
            ("in_app", "sent", "ComplianceOfficer"),
            ("in_app", "sent", "FirmAdmin"),
            ("email", "pending", "ComplianceManager"),
            ("sms", "failed", "FilingClerk"),
            ("email", "sent", "DocumentOfficer"),
        ][kind]
        if status == "failed":
            meta["error"] = "SMS gateway unreachable"
        self.add(
            Notification(
                tenant_id=tenant.id,
                recipient=users[role],
                type=type_,
                channel_status=status,
                message=message,
                meta=meta,
                created_at=self.now - timedelta(hours=2 + 7 * kind),
            )
        )


@dataclass
class _Built:
    """The rows created for one new client, for tasks and messages to point at."""

    businesses: list[ClientBusiness] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    filings: list[Filing] = field(default_factory=list)
    requests: list[ServiceRequest] = field(default_factory=list)
