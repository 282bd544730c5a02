"""The database's own integrity rules, as the desktop relies on them, and what users are told
when one stops them.

Cascades, SET NULL and RESTRICT are the platform schema's foreign-key actions; the desktop
never re-implements them in Python, so deleting through a Core statement or `session.delete()`
must both end up with exactly what the database decides. Unique indexes and the
documents ↔ document_versions cycle are covered too, and every violation must come out of
`translate_integrity_error` as a clear message with no SQL in it.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Table, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gcmc_desktop.models import (
    Account,
    AuditLog,
    Base,
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
    Verification,
    utcnow,
)
from gcmc_desktop.models import Session as AuthSession
from gcmc_desktop.services.errors import (
    DuplicateError,
    InUseError,
    ServiceError,
    ValidationError,
    translate_integrity_error,
    translated,
)

TABLES = Base.metadata.tables
TENANT_TABLES = sorted(name for name, table in TABLES.items() if "tenantId" in table.c)


# --------------------------------------------------------------------------------------------
# Helpers


class Factory:
    """Minimal valid rows, flushed so their ids are known."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._seq = itertools.count(1)

    def _add(self, obj: Any) -> Any:
        self.session.add(obj)
        self.session.flush()
        return obj

    def _n(self) -> int:
        return next(self._seq)

    def tenant(self, code: str | None = None, name: str = "Acme Accounting") -> Tenant:
        return self._add(Tenant(name=name, code=code or f"T{self._n()}"))

    def user(self, email: str | None = None, name: str = "Jane Staff") -> User:
        return self._add(User(name=name, email=email or f"user{self._n()}@example.com"))

    def role(self, tenant: Tenant, name: str = "Manager") -> Role:
        return self._add(Role(tenant_id=tenant.id, name=name))

    def permission(self, role: Role, module: str = "clients", action: str = "create") -> Permission:
        return self._add(Permission(role_id=role.id, module=module, action=action))

    def member(self, tenant: Tenant, user: User, role: Role) -> TenantUser:
        return self._add(TenantUser(tenant_id=tenant.id, user_id=user.id, role_id=role.id))

    def plan(self, name: str = "Professional") -> Plan:
        return self._add(Plan(name=name))

    def subscription(self, tenant: Tenant, plan: Plan) -> Subscription:
        return self._add(
            Subscription(tenant_id=tenant.id, plan_id=plan.id, status="active", start_date=utcnow())
        )

    def client(self, tenant: Tenant, name: str = "Jane Doe") -> Client:
        return self._add(Client(tenant_id=tenant.id, name=name, type="individual"))

    def business(self, client: Client, name: str = "Doe Trading") -> ClientBusiness:
        return self._add(ClientBusiness(tenant_id=client.tenant_id, client_id=client.id, name=name))

    def document_type(
        self, tenant: Tenant, name: str = "TIN certificate", category: str = "tax"
    ) -> DocumentType:
        return self._add(DocumentType(tenant_id=tenant.id, name=name, category=category))

    def document(
        self,
        client: Client,
        document_type: DocumentType,
        *,
        business: ClientBusiness | None = None,
        title: str = "TIN certificate 2024",
        versions: int = 1,
    ) -> Document:
        document = Document(
            tenant_id=client.tenant_id,
            client_id=client.id,
            client_business_id=business.id if business else None,
            document_type_id=document_type.id,
            title=title,
            status="valid",
        )
        for n in range(versions):
            document.versions.append(
                DocumentVersion(
                    file_url=f"documents/{self._n()}-v{n}.pdf", storage_provider="local"
                )
            )
        if versions:
            document.latest_version = document.versions[-1]
        return self._add(document)

    def filing_type(
        self, tenant: Tenant, code: str = "VAT-M", name: str = "VAT return"
    ) -> FilingType:
        return self._add(
            FilingType(
                tenant_id=tenant.id, name=name, code=code, authority="GRA", frequency="monthly"
            )
        )

    def filing(
        self, client: Client, filing_type: FilingType, business: ClientBusiness | None = None
    ) -> Filing:
        return self._add(
            Filing(
                tenant_id=client.tenant_id,
                client_id=client.id,
                client_business_id=business.id if business else None,
                filing_type_id=filing_type.id,
                status="draft",
            )
        )

    def recurring_filing(
        self, client: Client, filing_type: FilingType, business: ClientBusiness | None = None
    ) -> RecurringFiling:
        return self._add(
            RecurringFiling(
                tenant_id=client.tenant_id,
                client_id=client.id,
                client_business_id=business.id if business else None,
                filing_type_id=filing_type.id,
                schedule="monthly",
            )
        )

    def service(self, tenant: Tenant, name: str = "Business registration") -> Service:
        return self._add(Service(tenant_id=tenant.id, name=name, category="registration"))

    def template(self, service: Service) -> ServiceRequestTemplate:
        return self._add(
            ServiceRequestTemplate(
                tenant_id=service.tenant_id,
                service_id=service.id,
                name="Standard",
                steps_definition=[{"title": "Collect documents"}],
            )
        )

    def service_request(
        self,
        client: Client,
        service: Service,
        *,
        business: ClientBusiness | None = None,
        steps: int = 2,
    ) -> ServiceRequest:
        request = ServiceRequest(
            tenant_id=client.tenant_id,
            client_id=client.id,
            client_business_id=business.id if business else None,
            service_id=service.id,
            status="new",
        )
        for order in range(1, steps + 1):
            request.steps.append(ServiceStep(title=f"Step {order}", order=order, status="pending"))
        self._add(request)
        for before, after in itertools.pairwise(request.steps):
            after.depends_on = before
        self.session.flush()
        return request

    def bundle(
        self,
        tenant: Tenant,
        *,
        document_type: DocumentType | None = None,
        filing_type: FilingType | None = None,
    ) -> RequirementBundle:
        bundle = RequirementBundle(
            tenant_id=tenant.id, name="GRA registration", authority="GRA", category="tax"
        )
        bundle.items.append(
            RequirementBundleItem(
                document_type_id=document_type.id if document_type else None,
                filing_type_id=filing_type.id if filing_type else None,
            )
        )
        return self._add(bundle)

    def populate(self, tenant: Tenant, staff: User) -> SimpleNamespace:
        """One row in every table of the tenant (and in each child table under them)."""
        role = self.role(tenant)
        self.permission(role)
        self.member(tenant, staff, role)
        self.subscription(tenant, self.plan())
        client = self.client(tenant)
        business = self.business(client)
        self._add(ClientPortalAccess(tenant_id=tenant.id, user_id=staff.id, client_id=client.id))
        document_type = self.document_type(tenant)
        document = self.document(client, document_type, business=business)
        filing_type = self.filing_type(tenant)
        filing = self.filing(client, filing_type, business)
        self._add(FilingDocument(filing_id=filing.id, document_id=document.id))
        self.recurring_filing(client, filing_type, business)
        service = self.service(tenant)
        self.template(service)
        request = self.service_request(client, service, business=business)
        self._add(Task(tenant_id=tenant.id, client_id=client.id, title="Call", status="open"))
        self._add(
            ClientTask(tenant_id=tenant.id, client_id=client.id, title="Upload", status="open")
        )
        conversation = self._add(
            Conversation(tenant_id=tenant.id, client_id=client.id, service_request_id=request.id)
        )
        self._add(
            Message(
                tenant_id=tenant.id, conversation_id=conversation.id, author_id=staff.id, body="Hi"
            )
        )
        self._add(
            Notification(
                tenant_id=tenant.id,
                recipient_user_id=staff.id,
                type="reminder",
                channel_status="pending",
                message="Due soon",
            )
        )
        self._add(
            AuditLog(
                tenant_id=tenant.id,
                actor_user_id=staff.id,
                client_id=client.id,
                entity_type="client",
                entity_id=client.id,
                action="create",
            )
        )
        rule_set = self._add(ComplianceRuleSet(tenant_id=tenant.id, name="Default"))
        self._add(ComplianceRule(rule_set_id=rule_set.id, rule_type="document", weight=1.0))
        self._add(
            ComplianceScore(
                tenant_id=tenant.id,
                client_id=client.id,
                score_value=80.0,
                level="low",
                missing_count=0,
                expiring_count=0,
                overdue_filings_count=0,
                last_calculated_at=utcnow(),
            )
        )
        self.bundle(tenant)  # see test_a_tenant_whose_bundles_use_its_types_…
        return SimpleNamespace(
            role=role, client=client, document=document, filing=filing, request=request
        )


@pytest.fixture
def make(session: Session) -> Factory:
    return Factory(session)


def count(session: Session, table: str, **where: Any) -> int:
    """Rows of `table` matching column=value (Core: sees what the database holds)."""
    t: Table = TABLES[table]
    query = select(func.count()).select_from(t)
    for column, value in where.items():
        query = query.where(t.c[column] == value)
    return session.scalar(query) or 0


def column_values(session: Session, table: str, column: str, **where: Any) -> list[Any]:
    t: Table = TABLES[table]
    query = select(t.c[column])
    for name, value in where.items():
        query = query.where(t.c[name] == value)
    return list(session.scalars(query))


def remove(session: Session, how: str, model: type[Any], ident: Any) -> None:
    """Delete one row with a Core statement or with `session.delete()` of a freshly loaded
    object (as a service would: by id), and commit."""
    if how == "core":
        session.execute(delete(model).where(model.id == ident))
    else:
        session.expunge_all()
        session.delete(session.get(model, ident))
    session.commit()


def assert_clean(message: str) -> None:
    """A user-facing message: no SQL, no constraint or column names, no Python."""
    for leak in ("SELECT", "INSERT", "UPDATE ", "DELETE", "Key (", "_key", "_fkey", "violates"):
        assert leak not in message, message
    assert "Traceback" not in message and "psycopg" not in message
    assert not re.search(r'"\w+Id"', message), message


HOW = pytest.mark.parametrize("how", ["core", "orm"])


# --------------------------------------------------------------------------------------------
# Cascades


@HOW
def test_deleting_a_tenant_removes_every_row_it_owns(session: Session, make: Factory, how: str):
    staff = make.user()
    doomed, kept = make.tenant(code="DOOMED"), make.tenant(code="KEPT")
    gone = make.populate(doomed, staff)
    make.populate(kept, staff)
    session.commit()
    for table in TENANT_TABLES:  # the fixture really covers every tenant-scoped table
        assert count(session, table, tenantId=doomed.id) == 1, table
    before = {table: count(session, table, tenantId=kept.id) for table in TENANT_TABLES}

    remove(session, how, Tenant, doomed.id)

    assert count(session, "tenants", id=doomed.id) == 0
    for table in TENANT_TABLES:
        assert count(session, table, tenantId=doomed.id) == 0, table
        assert count(session, table, tenantId=kept.id) == before[table], table
    # Child tables without tenantId went with their parents.
    assert count(session, "document_versions", documentId=gone.document.id) == 0
    assert count(session, "permissions", roleId=gone.role.id) == 0
    assert count(session, "service_steps", serviceRequestId=gone.request.id) == 0
    assert count(session, "filing_documents", filingId=gone.filing.id) == 0
    kept_children = {
        "document_versions": 1,
        "permissions": 1,
        "service_steps": 2,
        "filing_documents": 1,
        "compliance_rules": 1,
        "requirement_bundle_items": 1,
    }
    assert {table: count(session, table) for table in kept_children} == kept_children
    # Global rows are not the tenant's.
    assert count(session, "user", _id=staff.id) == 1
    assert count(session, "plans") == 2


@HOW
def test_deleting_a_client_removes_its_businesses_documents_versions_and_filings(
    session: Session, make: Factory, how: str
):
    tenant = make.tenant()
    doc_type, filing_type, service = (
        make.document_type(tenant),
        make.filing_type(tenant),
        make.service(tenant),
    )
    client, other = make.client(tenant, "Jane Doe"), make.client(tenant, "John Roe")
    for owner in (client, other):
        business = make.business(owner)
        document = make.document(owner, doc_type, business=business, versions=2)
        filing = make.filing(owner, filing_type, business)
        make._add(FilingDocument(filing_id=filing.id, document_id=document.id))
        make.service_request(owner, service, business=business)
    session.commit()
    doc_ids = column_values(session, "documents", "id", clientId=client.id)

    remove(session, how, Client, client.id)

    for table in ("client_businesses", "documents", "filings", "service_requests"):
        assert count(session, table, clientId=client.id) == 0, table
        assert count(session, table, clientId=other.id) == 1, table
    assert count(session, "document_versions", documentId=doc_ids[0]) == 0
    assert count(session, "document_versions") == 2  # the other client's
    assert count(session, "filing_documents") == 1
    assert count(session, "service_steps") == 2


@HOW
def test_deleting_a_document_removes_its_versions_and_filing_links(
    session: Session, make: Factory, how: str
):
    tenant = make.tenant()
    client, doc_type = make.client(tenant), make.document_type(tenant)
    document = make.document(client, doc_type, versions=3)
    kept = make.document(client, doc_type, title="NIS card", versions=1)
    filing = make.filing(client, make.filing_type(tenant))
    make._add(FilingDocument(filing_id=filing.id, document_id=document.id))
    session.commit()

    remove(session, how, Document, document.id)

    assert count(session, "documents", id=document.id) == 0
    assert count(session, "document_versions", documentId=document.id) == 0
    assert count(session, "document_versions", documentId=kept.id) == 1
    assert count(session, "filing_documents", filingId=filing.id) == 0
    assert count(session, "filings", id=filing.id) == 1


@HOW
def test_deleting_a_service_request_removes_its_steps(session: Session, make: Factory, how: str):
    tenant = make.tenant()
    client, service = make.client(tenant), make.service(tenant)
    request = make.service_request(client, service, steps=3)
    kept = make.service_request(client, service, steps=1)
    task = make._add(
        Task(tenant_id=tenant.id, service_request_id=request.id, title="Chase", status="open")
    )
    session.commit()

    remove(session, how, ServiceRequest, request.id)

    assert count(session, "service_steps", serviceRequestId=request.id) == 0
    assert count(session, "service_steps", serviceRequestId=kept.id) == 1
    assert column_values(session, "tasks", "serviceRequestId", id=task.id) == [None]


@pytest.mark.parametrize("kind", ["document_type", "filing_type"])
def test_a_tenant_whose_bundles_use_its_types_needs_the_bundles_deleted_first(
    session: Session, make: Factory, kind: str
):
    """A known limit of the schema: deleting the tenant cascades to its document/filing types
    before it reaches its requirement bundle items, and the items' RESTRICT keys refuse that
    mid-cascade. Deleting the tenant's bundles first, in the same transaction, works."""
    tenant = make.tenant()
    make.document(make.client(tenant), make.document_type(tenant))
    if kind == "document_type":
        make.bundle(tenant, document_type=make.document_type(tenant, "NIS card"))
    else:
        make.bundle(tenant, filing_type=make.filing_type(tenant))
    session.commit()

    with pytest.raises(IntegrityError, match="requirement_bundle_items"):
        remove(session, "core", Tenant, tenant.id)
    session.rollback()

    session.execute(delete(RequirementBundle).where(RequirementBundle.tenant_id == tenant.id))
    remove(session, "core", Tenant, tenant.id)
    for table in TENANT_TABLES:
        assert count(session, table, tenantId=tenant.id) == 0, table
    assert count(session, "requirement_bundle_items") == 0


# --------------------------------------------------------------------------------------------
# SET NULL


@HOW
def test_deleting_a_client_business_unlinks_its_records(session: Session, make: Factory, how: str):
    tenant = make.tenant()
    client = make.client(tenant)
    business = make.business(client)
    document = make.document(client, make.document_type(tenant), business=business)
    filing_type = make.filing_type(tenant)
    filing = make.filing(client, filing_type, business)
    recurring = make.recurring_filing(client, filing_type, business)
    request = make.service_request(client, make.service(tenant), business=business)
    session.commit()

    remove(session, how, ClientBusiness, business.id)

    assert count(session, "client_businesses", id=business.id) == 0
    for table, ident in (
        ("documents", document.id),
        ("filings", filing.id),
        ("service_requests", request.id),
        ("recurring_filings", recurring.id),
    ):
        assert column_values(session, table, "clientBusinessId", id=ident) == [None], table
        assert column_values(session, table, "clientId", id=ident) == [client.id], table


@HOW
def test_deleting_a_user_keeps_the_audit_trail_without_them(
    session: Session, make: Factory, how: str
):
    tenant = make.tenant()
    user, colleague = make.user(), make.user()
    role = make.role(tenant)
    make.member(tenant, user, role)
    make._add(Account(account_id=user.id, provider_id="credential", user_id=user.id))
    make._add(AuthSession(user_id=user.id, token="tok-1", expires_at=utcnow()))
    client = make.client(tenant)
    entry = make._add(
        AuditLog(
            tenant_id=tenant.id,
            actor_user_id=user.id,
            client_id=client.id,
            entity_type="client",
            entity_id=client.id,
            action="update",
        )
    )
    other_entry = make._add(
        AuditLog(
            tenant_id=tenant.id,
            actor_user_id=colleague.id,
            entity_type="client",
            entity_id=client.id,
            action="create",
        )
    )
    task = make._add(
        Task(tenant_id=tenant.id, title="Review", status="open", assigned_to_id=user.id)
    )
    session.commit()

    remove(session, how, User, user.id)

    assert column_values(session, "audit_logs", "actorUserId", id=entry.id) == [None]
    assert column_values(session, "audit_logs", "actorUserId", id=other_entry.id) == [colleague.id]
    assert column_values(session, "tasks", "assignedToId", id=task.id) == [None]
    for table in ("tenant_users", "account", "session"):
        assert count(session, table, userId=user.id) == 0, table
    assert count(session, "roles", id=role.id) == 1


# --------------------------------------------------------------------------------------------
# RESTRICT


def _document_type_in_use(make: Factory, tenant: Tenant) -> tuple[type, int, str, dict]:
    doc_type = make.document_type(tenant, "TIN certificate")
    client = make.client(tenant)
    for year in (2022, 2023, 2024):
        make.document(client, doc_type, title=f"TIN certificate {year}")
    make.bundle(tenant, document_type=doc_type)
    return (
        DocumentType,
        doc_type.id,
        'Cannot delete document type "TIN certificate": it is still used by 3 documents '
        "and 1 requirement bundle item.",
        {"documents": 3, "requirement_bundle_items": 1},
    )


def _filing_type_in_use(make: Factory, tenant: Tenant) -> tuple[type, int, str, dict]:
    filing_type = make.filing_type(tenant, "VAT-M", "VAT return")
    client = make.client(tenant)
    make.filing(client, filing_type)
    make.filing(client, filing_type)
    make.recurring_filing(client, filing_type)
    make.bundle(tenant, filing_type=filing_type)
    return (
        FilingType,
        filing_type.id,
        'Cannot delete filing type "VAT return": it is still used by 2 filings, '
        "1 recurring filing and 1 requirement bundle item.",
        {"filings": 2, "recurring_filings": 1, "requirement_bundle_items": 1},
    )


def _service_in_use(make: Factory, tenant: Tenant) -> tuple[type, int, str, dict]:
    service = make.service(tenant, "Business registration")
    make.template(service)  # templates go with the service; they do not block it
    client = make.client(tenant)
    make.service_request(client, service)
    make.service_request(client, service)
    return (
        Service,
        service.id,
        'Cannot delete service "Business registration": it is still used by 2 service requests.',
        {"service_requests": 2},
    )


def _role_in_use(make: Factory, tenant: Tenant) -> tuple[type, int, str, dict]:
    role = make.role(tenant, "Manager")
    make.permission(role)
    make.member(tenant, make.user(), role)
    return (
        Role,
        role.id,
        'Cannot delete role "Manager": it is still used by 1 firm member.',
        {"tenant_users": 1},
    )


def _plan_in_use(make: Factory, tenant: Tenant) -> tuple[type, int, str, dict]:
    plan = make.plan("Professional")
    make.subscription(tenant, plan)
    make.subscription(make.tenant(), plan)
    return (
        Plan,
        plan.id,
        'Cannot delete plan "Professional": it is still used by 2 subscriptions.',
        {"subscriptions": 2},
    )


IN_USE = pytest.mark.parametrize(
    "setup",
    [_document_type_in_use, _filing_type_in_use, _service_in_use, _role_in_use, _plan_in_use],
    ids=["document_type", "filing_type", "service", "role", "plan"],
)


@IN_USE
@HOW
def test_deleting_something_in_use_is_refused_with_who_uses_it(
    session: Session, make: Factory, setup: Callable, how: str
):
    model, ident, expected, users = setup(make, make.tenant())
    session.commit()

    with pytest.raises(IntegrityError) as caught:
        remove(session, how, model, ident)
    error = translate_integrity_error(caught.value, session)

    assert isinstance(error, InUseError)
    assert error.message == expected
    assert error.users == users
    assert error.entity == model.__tablename__
    assert error.ident == ident
    assert_clean(error.message)
    session.rollback()
    assert count(session, model.__tablename__, id=ident) == 1


@IN_USE
@HOW
def test_translated_raises_in_use_and_leaves_the_session_usable(
    session: Session, make: Factory, setup: Callable, how: str
):
    model, ident, expected, _ = setup(make, make.tenant())
    session.commit()

    with pytest.raises(InUseError, match=re.escape(expected)) as caught, translated(session):
        remove(session, how, model, ident)

    assert isinstance(caught.value.__cause__, IntegrityError)
    assert not session.in_transaction()
    assert count(session, model.__tablename__, id=ident) == 1


@IN_USE
def test_session_delete_of_something_in_use_reaches_the_restrict_key(
    session: Session, make: Factory, setup: Callable
):
    model, ident, _, _ = setup(make, make.tenant())
    session.commit()
    with pytest.raises(IntegrityError) as caught:
        remove(session, "orm", model, ident)
    assert caught.value.orig.sqlstate == "23001"  # restrict_violation, from the database


@pytest.mark.parametrize("parent", ["client", "tenant"])
def test_session_delete_with_children_loaded_still_cascades(
    session: Session, make: Factory, parent: str
):
    tenant = make.tenant()
    client = make.client(tenant)
    make.document(client, make.document_type(tenant))
    make.role(tenant)
    session.commit()
    loaded: Any = (
        session.get(Client, client.id) if parent == "client" else session.get(Tenant, tenant.id)
    )
    assert loaded.documents if parent == "client" else loaded.roles  # loads the collection
    session.delete(loaded)
    session.commit()
    assert count(session, "documents", clientId=client.id) == 0


def _unused(make: Factory, tenant: Tenant) -> list[tuple[type, int]]:
    role = make.role(tenant, "Unused")
    make.permission(role)  # permissions cascade with their role
    service = make.service(tenant)
    make.template(service)  # templates cascade with their service
    return [
        (DocumentType, make.document_type(tenant).id),
        (FilingType, make.filing_type(tenant).id),
        (Service, service.id),
        (Role, role.id),
        (Plan, make.plan().id),
    ]


@HOW
def test_deleting_something_unused_succeeds(session: Session, make: Factory, how: str):
    rows = _unused(make, make.tenant())
    session.commit()
    for model, ident in rows:
        with translated(session):
            remove(session, how, model, ident)
        assert count(session, model.__tablename__, id=ident) == 0, model
    assert count(session, "permissions") == 0
    assert count(session, "service_request_templates") == 0


def test_deleting_a_message_author_is_refused(session: Session, make: Factory):
    """messages.authorId is NOT NULL yet its foreign key says SET NULL (DOMAIN.md,
    contradictions): the database refuses the delete, and users are told why."""
    tenant = make.tenant()
    author = make.user("author@example.com")
    conversation = make._add(Conversation(tenant_id=tenant.id))
    make._add(
        Message(tenant_id=tenant.id, conversation_id=conversation.id, author_id=author.id, body="x")
    )
    session.commit()

    with pytest.raises(InUseError) as caught, translated(session):
        remove(session, "core", User, author.id)

    assert caught.value.message == (
        'Cannot delete user "author@example.com": it is still used by 1 message.'
    )
    assert count(session, "user", _id=author.id) == 1


# --------------------------------------------------------------------------------------------
# Unique indexes


def _duplicate_user(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    make.user("jane@example.com")
    return (
        lambda: make.user("jane@example.com"),
        'A user with the e-mail "jane@example.com" already exists.',
        {"email": "jane@example.com"},
    )


def _duplicate_tenant(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    make.tenant(code="ACME")
    return (
        lambda: make.tenant(code="ACME", name="Another"),
        'A firm with the code "ACME" already exists.',
        {"code": "ACME"},
    )


def _duplicate_role(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    tenant = make.tenant()
    make.role(tenant, "Tax, VAT & PAYE")  # a comma inside a value
    return (
        lambda: make.role(tenant, "Tax, VAT & PAYE"),
        'A role named "Tax, VAT & PAYE" already exists in this firm.',
        {"name": "Tax, VAT & PAYE"},
    )


def _duplicate_permission(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    role = make.role(make.tenant(), "Manager")
    make.permission(role, "clients", "create")
    return (
        lambda: make.permission(role, "clients", "create"),
        'The role "Manager" already has the permission "clients:create".',
        {"role_id": role.id, "module": "clients", "action": "create"},
    )


def _duplicate_member(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    tenant = make.tenant(name="Acme Accounting")
    user = make.user("jane@example.com")
    make.member(tenant, user, make.role(tenant, "Manager"))
    other_role = make.role(tenant, "Viewer")
    return (
        lambda: make.member(tenant, user, other_role),
        '"jane@example.com" is already a member of the firm "Acme Accounting".',
        {"user_id": user.id},
    )


def _duplicate_document_type(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    tenant = make.tenant()
    make.document_type(tenant, "TIN certificate", "tax")
    return (
        lambda: make.document_type(tenant, "TIN certificate", "tax"),
        'A document type "TIN certificate" already exists in the category "tax".',
        {"name": "TIN certificate", "category": "tax"},
    )


def _duplicate_filing_type(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    tenant = make.tenant()
    make.filing_type(tenant, "VAT-M", "VAT return")
    return (
        lambda: make.filing_type(tenant, "VAT-M", "Monthly VAT"),
        'A filing type with the code "VAT-M" already exists in this firm.',
        {"code": "VAT-M"},
    )


def _score(client: Client) -> ComplianceScore:
    return ComplianceScore(
        tenant_id=client.tenant_id,
        client_id=client.id,
        score_value=50.0,
        level="medium",
        missing_count=1,
        expiring_count=0,
        overdue_filings_count=0,
        last_calculated_at=utcnow(),
    )


def _duplicate_score(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    client = make.client(make.tenant(), "Jane Doe")
    make._add(_score(client))
    return (
        lambda: make._add(_score(client)),
        'The client "Jane Doe" already has a compliance score.',
        {"client_id": client.id},
    )


def _duplicate_portal_access(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    tenant = make.tenant()
    client, user = make.client(tenant, "Jane Doe"), make.user("jane@example.com")

    def grant() -> ClientPortalAccess:
        return make._add(
            ClientPortalAccess(tenant_id=tenant.id, user_id=user.id, client_id=client.id)
        )

    grant()
    return (
        grant,
        '"jane@example.com" already has portal access to the client "Jane Doe".',
        {"user_id": user.id, "client_id": client.id},
    )


def _duplicate_filing_document(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    tenant = make.tenant()
    client = make.client(tenant)
    document = make.document(client, make.document_type(tenant), title="TIN certificate 2024")
    filing = make.filing(client, make.filing_type(tenant))

    def attach() -> FilingDocument:
        return make._add(FilingDocument(filing_id=filing.id, document_id=document.id))

    attach()
    return (
        attach,
        'The document "TIN certificate 2024" is already attached to this filing.',
        {"filing_id": filing.id, "document_id": document.id},
    )


def _duplicate_latest_version(make: Factory) -> tuple[Callable[[], Any], str, dict]:
    tenant = make.tenant()
    client, doc_type = make.client(tenant), make.document_type(tenant)
    document = make.document(client, doc_type)
    version = document.latest_version_id

    def second() -> Document:
        other = make.document(client, doc_type, versions=0)
        other.latest_version_id = version
        make.session.flush()
        return other

    return (
        second,
        f"File version {version} is already the latest version of another document.",
        {"latest_version_id": version},
    )


UNIQUE_CASES = {
    "user.email": _duplicate_user,
    "tenants.code": _duplicate_tenant,
    "roles.tenant_name": _duplicate_role,
    "permissions.role_module_action": _duplicate_permission,
    "tenant_users.tenant_user": _duplicate_member,
    "document_types.tenant_name_category": _duplicate_document_type,
    "filing_types.tenant_code": _duplicate_filing_type,
    "compliance_scores.tenant_client": _duplicate_score,
    "client_portal_access.tenant_user_client": _duplicate_portal_access,
    "filing_documents.filing_document": _duplicate_filing_document,
    "documents.latest_version": _duplicate_latest_version,
}


@pytest.mark.parametrize("case", UNIQUE_CASES.values(), ids=UNIQUE_CASES.keys())
def test_duplicates_are_refused_with_the_duplicated_value(
    session: Session, make: Factory, case: Callable
):
    duplicate, expected, fields = case(make)
    session.commit()

    with pytest.raises(DuplicateError) as caught, translated(session):
        duplicate()
        session.commit()

    assert caught.value.message == expected
    assert caught.value.fields == fields
    assert_clean(caught.value.message)


def test_duplicate_session_token_is_refused_without_echoing_the_token(
    session: Session, make: Factory
):
    user = make.user()
    secret = "s3cr3t-session-token"
    make._add(AuthSession(user_id=user.id, token=secret, expires_at=utcnow()))
    session.commit()

    with pytest.raises(DuplicateError) as caught, translated(session):
        make._add(AuthSession(user_id=user.id, token=secret, expires_at=utcnow()))

    assert caught.value.constraint == "session_token_key"
    assert caught.value.fields == {"token": None}
    assert secret not in caught.value.message
    assert "session" in caught.value.message


def test_per_firm_names_may_repeat_in_another_firm(session: Session, make: Factory):
    for code in ("ACME", "BETA"):
        tenant = make.tenant(code=code)
        make.role(tenant, "Manager")
        make.document_type(tenant, "TIN certificate", "tax")
        make.filing_type(tenant, "VAT-M")
    session.commit()
    assert count(session, "roles", name="Manager") == 2


# --------------------------------------------------------------------------------------------
# Other translations


def test_missing_required_value_is_a_field_error(session: Session, make: Factory):
    tenant = make.tenant()
    session.commit()
    with pytest.raises(ValidationError) as caught, translated(session):
        make._add(Client(tenant_id=tenant.id, name=None, type="individual"))
    assert caught.value.field_errors == {"name": "This field is required."}
    assert caught.value.message == "Name is required."


def test_reference_to_a_deleted_row_is_a_field_error(session: Session, make: Factory):
    tenant = make.tenant()
    client = make.client(tenant)
    session.commit()
    with pytest.raises(ValidationError) as caught, translated(session):
        make._add(
            Document(
                tenant_id=tenant.id,
                client_id=client.id,
                document_type_id=999_999,
                title="x",
                status="valid",
            )
        )
    assert set(caught.value.field_errors) == {"document_type_id"}
    assert "document type" in caught.value.message
    assert_clean(caught.value.message)


def test_a_failed_savepoint_keeps_the_outer_work(session: Session, make: Factory):
    tenant = make.tenant()
    model, ident, expected, _ = _document_type_in_use(make, tenant)
    session.commit()
    kept = make.client(tenant, "Pending Client")  # flushed, not committed

    with pytest.raises(IntegrityError) as caught, session.begin_nested():
        session.execute(delete(model).where(model.id == ident))
    error = translate_integrity_error(caught.value, session)

    assert error.message == expected
    session.commit()
    assert count(session, "clients", id=kept.id) == 1


class _Withheld:
    """A driver error whose detail PostgreSQL left out, as it does under row-level security."""

    def __init__(self, real: Any) -> None:
        self.sqlstate = real.sqlstate
        self.diag = SimpleNamespace(
            sqlstate=real.diag.sqlstate,
            constraint_name=real.diag.constraint_name,
            table_name=real.diag.table_name,
            column_name=real.diag.column_name,
            message_primary=real.diag.message_primary,
            message_detail=None,
        )


def _withheld(exc: IntegrityError) -> IntegrityError:
    return IntegrityError(exc.statement, exc.params, _Withheld(exc.orig))  # type: ignore[arg-type]


@HOW
def test_in_use_message_without_key_details(session: Session, make: Factory, how: str):
    model, ident, expected, users = _document_type_in_use(make, make.tenant())
    session.commit()

    with pytest.raises(IntegrityError) as caught:
        remove(session, how, model, ident)
    error = translate_integrity_error(_withheld(caught.value), session)

    assert isinstance(error, InUseError)
    assert (error.message, error.users) == (expected, users)


def test_duplicate_message_without_key_details(session: Session, make: Factory):
    make.user("jane@example.com")
    session.commit()
    with pytest.raises(IntegrityError) as caught:
        make.user("jane@example.com")
    error = translate_integrity_error(_withheld(caught.value), session)
    assert isinstance(error, DuplicateError)
    assert error.message == 'A user with the e-mail "jane@example.com" already exists.'


def test_unknown_errors_get_a_generic_message(session: Session):
    odd = IntegrityError("SELECT 1", {}, Exception("something odd"))
    error = translate_integrity_error(odd, session)
    assert type(error) is ServiceError
    assert "could not be saved" in error.message
    assert_clean(error.message)


# --------------------------------------------------------------------------------------------
# The documents ↔ document_versions cycle, timestamps, auth ids


def test_document_with_its_first_version_is_saved_in_one_commit(session: Session, make: Factory):
    tenant = make.tenant()
    client, doc_type = make.client(tenant), make.document_type(tenant)
    session.commit()

    version = DocumentVersion(file_url="documents/1-tin.pdf", storage_provider="local")
    document = Document(
        tenant_id=tenant.id,
        client_id=client.id,
        document_type_id=doc_type.id,
        title="TIN certificate",
        status="valid",
        versions=[version],
        latest_version=version,
    )
    session.add(document)
    session.commit()

    assert column_values(session, "documents", "latestVersionId", id=document.id) == [version.id]
    assert column_values(session, "document_versions", "documentId", id=version.id) == [document.id]

    second = DocumentVersion(file_url="documents/2-tin.pdf", storage_provider="local")
    document.versions.append(second)
    document.latest_version = second
    session.commit()
    assert column_values(session, "documents", "latestVersionId", id=document.id) == [second.id]
    assert count(session, "document_versions", documentId=document.id) == 2


def test_updated_at_is_stamped_on_insert_and_on_update(session: Session, make: Factory):
    client = make.client(make.tenant())
    session.commit()
    (inserted,) = column_values(session, "clients", "updatedAt", id=client.id)
    assert inserted is not None
    assert abs(utcnow() - inserted) < timedelta(minutes=1)  # UTC, like the platform

    time.sleep(0.01)
    client.name = "Jane Doe-Smith"
    session.commit()
    (updated,) = column_values(session, "clients", "updatedAt", id=client.id)
    assert updated > inserted


def test_auth_ids_are_32_random_alphanumerics(session: Session, make: Factory):
    users = [make.user() for _ in range(3)]
    rows = [
        *users,
        make._add(Account(account_id="a", provider_id="credential", user_id=users[0].id)),
        make._add(AuthSession(user_id=users[0].id, token="t", expires_at=utcnow())),
        make._add(Verification(identifier="email", value="v", expires_at=utcnow())),
    ]
    session.commit()
    ids = [row.id for row in rows]
    assert all(re.fullmatch(r"[A-Za-z0-9]{32}", i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert column_values(session, "user", "_id", email=users[0].email) == [users[0].id]


# ------------------------------------------------------------------ the message registry


def test_each_constraint_has_one_wording() -> None:
    from gcmc_desktop.services import integrity

    def other(values: dict[str, str]) -> str:
        return "Another wording."

    with pytest.raises(ValueError, match="already has a message"):
        integrity.register_constraint_message("document_types_tenantId_name_category_key", other)
    with pytest.raises(ValueError, match="no unique index"):
        integrity.register_constraint_message("no_such_index", other)
    # The domain modules registered theirs (they load before the first look-up).
    assert integrity.constraint_message("user_email_key", {"email": "a@b.gy"}) == (
        'A user with the e-mail "a@b.gy" already exists.'
    )


def test_document_type_check_and_index_say_the_same(session: Session, make: Factory) -> None:
    """The service's own check before writing and the unique index's violation (a race) use
    the one registered message."""
    from gcmc_desktop.services import document_types

    tenant = make.tenant()
    make.document_type(tenant, "TIN certificate", "tax")
    session.commit()
    with pytest.raises(DuplicateError) as caught, translated(session):
        make.document_type(tenant, "TIN certificate", "tax")
        session.commit()
    from_index = caught.value.message
    checked = document_types.constraint_message(
        document_types.UNIQUE_INDEX, {"name": "TIN certificate", "category": "tax"}
    )
    assert from_index == checked
