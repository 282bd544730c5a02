"""Storage preferences persist in QSettings, the S3 secret in the keyring — never in the file."""

from __future__ import annotations

from pathlib import Path

from gcmc_desktop import settings as app_settings
from gcmc_desktop.services.storage import StorageSettings
from gcmc_desktop.views.preferences_dialog import PreferencesDialog


def test_storage_preferences_round_trip(qtbot, tmp_path: Path, memory_keyring) -> None:
    dialog = PreferencesDialog()
    qtbot.addWidget(dialog)
    s3 = StorageSettings(
        kind="s3", endpoint_url="http://minio.local:9000", bucket="docs", access_key="AKIA1"
    )
    dialog.storage_page.set_values(s3, "very-secret")
    dialog._save()
    loaded, secret = app_settings.load_storage()
    assert (loaded.kind, loaded.endpoint_url, loaded.bucket, loaded.access_key) == (
        "s3",
        "http://minio.local:9000",
        "docs",
        "AKIA1",
    )
    assert secret == "very-secret"
    ini = Path(app_settings.settings().fileName()).read_text()
    assert "very-secret" not in ini and "AKIA1" in ini

    folder = StorageSettings(kind="local", folder=tmp_path / "files")
    dialog.storage_page.set_values(folder, None)
    dialog._save()
    loaded, secret = app_settings.load_storage()
    assert loaded.kind == "local" and loaded.folder == tmp_path / "files" and secret is None
