"""Every role of DOMAIN.md §1: what it may do works, what it may not is refused by the
service layer — checked on signed-in contexts whose permissions come from the database."""

from __future__ import annotations

import pytest

from gcmc_desktop.services import auth, clients
from gcmc_desktop.services.catalog import ROLE_NAMES, ROLE_PERMISSIONS
from gcmc_desktop.services.context import allows, require
from gcmc_desktop.services.errors import PermissionDenied

from .security_fixtures import PASSWORD, build_firms

MODULES = sorted({m for grants in ROLE_PERMISSIONS.values() for m in grants if m != "*"} | {"x"})
ACTIONS = sorted(
    {
        a
        for grants in ROLE_PERMISSIONS.values()
        for acts in grants.values()
        for a in acts
        if a != "*"
    }
    | {"approve"}
)


def expected(role: str, module: str, action: str) -> bool:
    grants = ROLE_PERMISSIONS[role]
    return any(
        m in (module, "*") and any(a in (action, "*") for a in actions)
        for m, actions in grants.items()
    )


def test_matrix_spot_checks() -> None:
    assert expected("FirmAdmin", "audit", "view") and not expected("FirmAdmin", "audit", "edit")
    assert expected("FirmAdmin", "messages", "anything")
    assert not expected("Admin", "messages", "view")  # the platform gap DOMAIN.md names
    assert expected("Admin", "system", "manage") and not expected("FirmAdmin", "system", "view")
    assert expected("FilingClerk", "filings", "create") and not expected(
        "FilingClerk", "filings", "submit"
    )
    assert expected("SuperAdmin", "x", "approve")
    assert not expected("Viewer", "clients", "edit")


def test_every_role_every_module_and_action(engine, database_url) -> None:
    roles = tuple(r for r in ROLE_NAMES)
    firms = build_firms(engine, database_url, roles)
    for role in roles:
        ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))
        assert ctx.role_name == role
        for module in MODULES:
            for action in ACTIONS:
                want = expected(role, module, action)
                assert allows(ctx.permissions, module, action) == want, (role, module, action)
                if want:
                    require(ctx, module, action)
                else:
                    with pytest.raises(PermissionDenied):
                        require(ctx, module, action)
        _clients_service_obeys(ctx, role, firms.alpha_client)
        auth.sign_out(ctx)


def _clients_service_obeys(ctx, role: str, existing: int) -> None:
    """The real service functions, not just the gate: allowed works, denied is refused."""

    def attempt(action: str, fn) -> None:
        if expected(role, "clients", action):
            fn()
        else:
            with pytest.raises(PermissionDenied):
                fn()

    attempt("view", lambda: clients.get_client(ctx, existing))
    created: list[int] = []
    attempt(
        "create",
        lambda: created.append(
            clients.create_client(ctx, {"name": f"{role} client", "type": "company"})["id"]
        ),
    )
    target = created[0] if created else existing

    def edit() -> None:
        # Without clients:view the database hides the row itself; the edit gate still answers.
        seen = expected(role, "clients", "view")
        read_at = clients.records.get(ctx, clients.Client, target).updated_at if seen else None
        clients.update_client(ctx, target, {"notes": f"edited by {role}"}, read_at)

    attempt("edit", edit)
    if created:
        attempt("delete", lambda: clients.delete_client(ctx, target))
