"""Role administration through the services, as a FirmAdmin and as roles that may not."""

from __future__ import annotations

import pytest

from gcmc_desktop.models import Role
from gcmc_desktop.services import auth, rbac
from gcmc_desktop.services.errors import InUseError, PermissionDenied, ValidationError

from .security_fixtures import PASSWORD, build_firms


def test_role_administration(engine, database_url) -> None:
    firms = build_firms(engine, database_url, ("FirmAdmin", "Viewer", "SuperAdmin"))
    admin = auth.open_context(auth.sign_in(firms.profile, firms.emails["FirmAdmin"], PASSWORD))
    names = {role.name: role.members for role in rbac.list_roles(admin)}
    assert names["FirmAdmin"] == 1 and names["Viewer"] == 1 and names["Admin"] == 0

    role = rbac.create_role(admin, "Intern", "Reads clients", [("clients", "view")])
    assert rbac.role_grants(admin, role["id"]) == {("clients", "view")}
    rbac.set_permissions(admin, role["id"], [("clients", "view"), ("documents", "view")])
    assert rbac.role_grants(admin, role["id"]) == {("clients", "view"), ("documents", "view")}
    with pytest.raises(ValidationError):
        rbac.create_role(admin, " ", None, [])

    viewer_role = next(r for r in rbac.list_roles(admin) if r.name == "Viewer")
    # FirmAdmin holds settings view/edit but not delete (DOMAIN.md: only SuperAdmin deletes).
    with pytest.raises(PermissionDenied):
        rbac.delete_role(admin, role["id"])
    superadmin = auth.open_context(
        auth.sign_in(firms.profile, firms.emails["SuperAdmin"], PASSWORD)
    )
    with pytest.raises(InUseError, match='role "Viewer": 1 member still holds it'):
        rbac.delete_role(superadmin, viewer_role.id)
    rbac.delete_role(superadmin, role["id"])
    assert superadmin.session.get(Role, role["id"]) is None

    viewer = auth.open_context(auth.sign_in(firms.profile, firms.emails["Viewer"], PASSWORD))
    with pytest.raises(PermissionDenied):
        rbac.list_roles(viewer)
    with pytest.raises(PermissionDenied):
        rbac.create_role(viewer, "Sneaky", None, [("*", "*")])
