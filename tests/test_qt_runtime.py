"""Guards the Qt binding itself: PySide6 6.12.0 on Python 3.11 leaked a reference to None on
every void call and aborted the interpreter after a few thousand (pinned below 6.12)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_void_calls_keep_none_refcount_stable(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        label.update()
    assert abs(sys.getrefcount(None) - before) < 100
