"""Storage preferences persist in QSettings, the S3 secret in the keyring — never in the file.
Save tests the storage first: settings that fail are saved only after "Save anyway", and the
running window switches to the new storage at once."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from gcmc_desktop import settings as app_settings
from gcmc_desktop.services.storage import StorageSettings
from gcmc_desktop.views.preferences_dialog import PreferencesDialog

WAIT = 60_000


def save(qtbot: QtBot, dialog: PreferencesDialog) -> None:
    """Press Save and wait until the storage test behind it is over."""
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=WAIT)


def test_storage_preferences_round_trip(qtbot, tmp_path: Path, memory_keyring) -> None:
    asked: list[str] = []
    dialog = PreferencesDialog(confirm_save_anyway=lambda _p, m: asked.append(m) or True)
    qtbot.addWidget(dialog)
    s3 = StorageSettings(
        kind="s3", endpoint_url="http://127.0.0.1:1", bucket="docs", access_key="AKIA1"
    )
    dialog.storage_page.set_values(s3, "very-secret")
    save(qtbot, dialog)
    assert len(asked) == 1  # nothing listens there: saved only because the user said so
    loaded, secret = app_settings.load_storage()
    assert (loaded.kind, loaded.endpoint_url, loaded.bucket, loaded.access_key) == (
        "s3",
        "http://127.0.0.1:1",
        "docs",
        "AKIA1",
    )
    assert secret == "very-secret"
    ini = Path(app_settings.settings().fileName()).read_text()
    assert "very-secret" not in ini and "AKIA1" in ini

    (tmp_path / "files").mkdir()
    folder = StorageSettings(kind="local", folder=tmp_path / "files")
    dialog.storage_page.set_values(folder, None)
    save(qtbot, dialog)
    assert len(asked) == 1  # a working folder is saved without a question
    loaded, secret = app_settings.load_storage()
    assert loaded.kind == "local" and loaded.folder == tmp_path / "files" and secret is None


def test_save_refuses_a_missing_folder_unless_told(qtbot, tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    app_settings.save_storage(StorageSettings(kind="local", folder=tmp_path / "good"), None)
    answers: list[bool] = [False]
    asked: list[str] = []
    dialog = PreferencesDialog(confirm_save_anyway=lambda _p, m: asked.append(m) or answers[0])
    qtbot.addWidget(dialog)
    saved: list[bool] = []
    dialog.storageSaved.connect(lambda: saved.append(True))
    dialog.show()
    dialog.storage_page.folder_edit.setText(str(tmp_path / "missing"))
    save(qtbot, dialog)
    assert len(asked) == 1 and "missing" in asked[0]
    assert app_settings.load_storage()[0].folder == tmp_path / "good"  # not saved
    assert dialog.isVisible() and saved == []
    assert dialog.message.text().startswith("Not saved:")

    answers[0] = True  # "Save anyway"
    save(qtbot, dialog)
    assert app_settings.load_storage()[0].folder == tmp_path / "missing"
    assert saved == [True] and not dialog.isVisible()
