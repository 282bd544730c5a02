"""What the application says about itself: one version (pyproject.toml), an About box with the
database's schema, an icon, and one instance per user (a second launch hands over)."""

from __future__ import annotations

import secrets
import tomllib
from pathlib import Path

import pytest

from gcmc_desktop import __version__
from gcmc_desktop.db import migrate
from gcmc_desktop.services import auth
from gcmc_desktop.views.single_instance import SingleInstance

from .security_fixtures import PASSWORD, build_firms

pytestmark = pytest.mark.gui


def test_the_version_is_the_projects() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert __version__ == pyproject["project"]["version"]


def test_the_icon_renders(qapp) -> None:
    from gcmc_desktop.app import application_icon

    icon = application_icon()
    assert not icon.isNull()
    assert not icon.pixmap(64, 64).isNull()


def test_a_second_launch_hands_over_to_the_first(qtbot) -> None:
    name = f"gcmc-test-{secrets.token_hex(4)}"
    first = SingleInstance(name)
    assert first.hand_over() is False  # nobody there yet
    assert first.listen()
    second = SingleInstance(name)
    with qtbot.waitSignal(first.activated, timeout=5_000):
        assert second.hand_over() is True
    first.close()
    # A crashed first instance's socket does not block the next start.
    third = SingleInstance(name)
    assert third.listen()
    third.close()


def test_about_names_version_and_schema(qtbot, engine, database_url) -> None:
    from gcmc_desktop.views.main_window import MainWindow

    firms = build_firms(engine, database_url, ("Viewer",))
    ctx = auth.open_context(auth.sign_in(firms.profile, firms.emails["Viewer"], PASSWORD))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window._about()
    qtbot.waitUntil(lambda: getattr(window, "about_box", None) is not None, timeout=20_000)
    text = window.about_text
    assert __version__ in text and migrate.head_revision() in text and "PostgreSQL" in text
    window.about_box.close()
    window.close()
