"""Keyboard shortcuts: `?` shows every key of the reader, a person changes one and it
holds after a restart, a key given twice is refused (offscreen Qt)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox
from test_ui_single_instance import make_app

from m2m_reader.ui import shortcuts
from m2m_reader.ui.prefs import Prefs


def active(qtbot, window):
    """Shown and the active window, as the one a person types into (keys go there)."""
    window.show()
    window.raise_()
    window.activateWindow()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.isActiveWindow)


def reader_with_book(qtbot, tmp_path, prefs=None):
    app = make_app(qtbot, tmp_path, prefs=prefs)
    active(qtbot, app.reader)
    return app


def action(window, name):
    return next(a for a in window.actions() if shortcuts.action_id(a) == name)


def test_question_mark_shows_every_key_and_escape_closes_it(qtbot, tmp_path):
    app = reader_with_book(qtbot, tmp_path)
    overlay = app.reader.property("shortcut_overlay")
    qtbot.keyClick(app.reader, "?")
    qtbot.waitUntil(overlay.isVisible)
    rows = dict(overlay.rows())
    assert rows["Fullscreen"] == "F, F11"
    assert rows["Read on"] == "Space, Down"
    assert rows["Keyboard shortcuts"] == "?"
    assert overlay.geometry() == app.reader.rect()  # over the whole window
    qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible()
    app.shutdown()


def test_a_changed_key_works_and_holds_after_a_restart(qtbot, tmp_path):
    app = reader_with_book(qtbot, tmp_path)
    editor = shortcuts.ShortcutEditor(app.reader, app.prefs)
    qtbot.addWidget(editor)
    assert editor.also["Fullscreen"].text().strip() == "F11"  # its second key, shown
    editor.edits["Fullscreen"].setKeySequence(QKeySequence("Ctrl+J"))
    assert editor.also["Fullscreen"].text().strip() == ""  # replaced with the new one
    assert editor.ok.isEnabled()
    editor.accept()
    fullscreen = action(app.reader, "Fullscreen")
    assert fullscreen.shortcuts() == [QKeySequence("Ctrl+J")]  # F and F11 gone with it
    with qtbot.waitSignal(fullscreen.triggered, timeout=2000):
        qtbot.keyClick(app.reader, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert app.prefs.get("shortcuts") == {"Fullscreen": ["Ctrl+J"]}
    app.shutdown()
    again = make_app(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    assert action(again.reader, "Fullscreen").shortcuts() == [QKeySequence("Ctrl+J")]
    assert action(again.reader, "Double pages").shortcuts() == [QKeySequence("D")]
    again.shutdown()


def test_a_key_given_to_two_actions_is_named_and_refused(qtbot, tmp_path):
    app = reader_with_book(qtbot, tmp_path)
    editor = shortcuts.ShortcutEditor(app.reader, app.prefs)
    qtbot.addWidget(editor)
    editor.edits["Fullscreen"].setKeySequence(QKeySequence("D"))
    assert not editor.ok.isEnabled()
    assert "“Fullscreen”" in editor.problem.text() and "“Double pages”" in editor.problem.text()
    editor.accept()  # refused
    assert action(app.reader, "Fullscreen").shortcuts()[0] == QKeySequence("F")
    restore = editor.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.RestoreDefaults
    )
    restore.click()
    assert editor.ok.isEnabled() and editor.problem.text() == ""
    assert editor.chosen()["Fullscreen"] == ["F", "F11"]
    app.shutdown()


def test_bad_saved_shortcuts_fall_back_to_the_defaults(qtbot, tmp_path):
    prefs = Prefs(tmp_path / "ui.json")
    prefs.set("shortcuts", {"Fullscreen": "F9", "Double pages": [3]})
    app = make_app(qtbot, tmp_path, prefs=prefs)
    assert action(app.reader, "Fullscreen").shortcuts()[0] == QKeySequence("F")
    assert action(app.reader, "Double pages").shortcuts() == [QKeySequence("D")]
    app.shutdown()


def test_the_library_has_the_overlay_too(qtbot, tmp_path):
    app = make_app(qtbot, tmp_path)
    app.show_library()
    active(qtbot, app.library)
    qtbot.keyClick(app.library, "?")
    overlay = app.library.property("shortcut_overlay")
    qtbot.waitUntil(overlay.isVisible)
    assert "Keyboard shortcuts" in dict(overlay.rows())
    app.shutdown()
