"""Two firms with staff users who sign in as their own PostgreSQL roles, for the security tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from gcmc_desktop.db import session_factory
from gcmc_desktop.models import Client, Document, DocumentType, DocumentVersion, utcnow
from gcmc_desktop.services import users
from gcmc_desktop.services.auth import ServerProfile, set_gateway_password, sign_in
from gcmc_desktop.services.tenancy import create_tenant

PASSWORD = "Correct-Horse-42"
GATEWAY_PASSWORD = "gateway-" + secrets.token_hex(8)


@dataclass
class Firms:
    profile: ServerProfile
    alpha: int
    beta: int
    beta_client: int
    beta_document: int
    alpha_client: int
    emails: dict[str, str]  # role name -> e-mail in Alpha

    def user_url(self, email: str, password: str = PASSWORD) -> URL:
        """The user's own PostgreSQL login, found by signing in through the real gateway (the
        gateway no longer tells anyone which role an e-mail has)."""
        signed = sign_in(self.profile, email, password)
        role = signed.engine.url.username
        signed.engine.dispose()
        return self.profile.user_url(role, password)


def build_firms(admin: Engine, url: URL, roles: tuple[str, ...]) -> Firms:
    """Alpha with one user per role in `roles`; Beta with its own FirmAdmin and data."""
    set_gateway_password(admin, GATEWAY_PASSWORD)
    with session_factory(admin)() as session:
        alpha = create_tenant(session, "Alpha Tax", "alpha").id
        beta = create_tenant(session, "Beta Books", "beta").id
        doc_type = DocumentType(tenant_id=beta, name="TIN certificate", category="identification")
        beta_client = Client(tenant_id=beta, name="Beta Client", type="company")
        alpha_client = Client(tenant_id=alpha, name="Alpha Client", type="individual")
        session.add_all([doc_type, beta_client, alpha_client])
        session.flush()
        document = Document(
            tenant_id=beta,
            client_id=beta_client.id,
            document_type_id=doc_type.id,
            title="Beta TIN",
            status="valid",
        )
        version = DocumentVersion(
            document=document, file_url="k", storage_provider="local", is_latest=True
        )
        document.latest_version = version
        session.add_all([document, version])
        session.commit()
        ids = (beta_client.id, document.id, alpha_client.id)
    emails = {}
    with admin.begin() as conn:
        for role in roles:
            email = f"{role.lower()}@alpha.gy"
            users.create_user(conn, alpha, email, f"{role} User", role, PASSWORD)
            emails[role] = email
        users.create_user(conn, beta, "boss@beta.gy", "Beta Boss", "FirmAdmin", PASSWORD)
    bare = url.set(username=None, password=None)
    gateway = url.set(username="gcmc_login", password=GATEWAY_PASSWORD)
    return Firms(ServerProfile(bare, gateway), alpha, beta, *ids, emails=emails)


def raw(url: URL):  # -> psycopg.Connection
    """A psql-like connection: what a staff member could do by hand with their credentials."""
    import psycopg

    params = dict(url.query)
    return psycopg.connect(
        user=url.username,
        password=url.password,
        host=url.host or params.get("host"),
        port=url.port,
        dbname=url.database,
        autocommit=True,
    )


def now() -> object:
    return utcnow()
