"""The light scheme: chosen by the setting or the system's preference, applied to the
palette, the stylesheet and the colours painted widgets read (offscreen Qt)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from test_ui_library import folder_book, source
from ui_support import ui_dirs  # noqa: F401

from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui import theme
from m2m_reader.ui.library_window import LibraryWindow


@pytest.fixture
def scheme(qapp):
    yield lambda name: theme.apply(qapp, name)
    theme.apply(qapp, "dark")
    hints = qapp.styleHints()
    if hasattr(hints, "unsetColorScheme"):
        hints.unsetColorScheme()


def test_light_scheme_turns_every_colour(qapp, scheme):
    scheme("light")
    window = qapp.palette().color(QPalette.ColorRole.Window)
    text = qapp.palette().color(QPalette.ColorRole.WindowText)
    assert window.lightness() > 230 and text.lightness() < 60
    assert theme.TEXT == "#1c2027" and theme.READING_BG.lightness() > 200
    sheet = qapp.styleSheet()
    for dark in ("#17191d", "#1f2228", "#e6e8eb", "#3a2a12"):  # none of the dark room left
        assert dark not in sheet
    scheme("dark")
    assert theme.TEXT == "#e6e8eb" and "#17191d" in qapp.styleSheet()


class Hints:
    def __init__(self, scheme):
        self.scheme = scheme

    def colorScheme(self):  # noqa: N802 - Qt's name
        return self.scheme


class FakeApp:
    """What `choose` asks of the application: the system's colour scheme."""

    def __init__(self, scheme):
        self.hints = Hints(scheme)

    def styleHints(self):  # noqa: N802 - Qt's name
        return self.hints


@pytest.mark.parametrize(
    ("system", "setting", "expected"),
    [
        (Qt.ColorScheme.Light, "auto", "light"),
        (Qt.ColorScheme.Dark, "auto", "dark"),
        (Qt.ColorScheme.Unknown, "auto", "dark"),  # the system does not say: the reading room
        (Qt.ColorScheme.Light, "dark", "dark"),  # the setting wins
        (Qt.ColorScheme.Dark, "light", "light"),
    ],
)
def test_auto_follows_what_the_system_prefers(system, setting, expected):
    assert theme.choose(setting, FakeApp(system)) == expected


def test_a_real_qt_asked_for_light_gives_light(qapp, scheme):
    hints = qapp.styleHints()
    if not hasattr(hints, "setColorScheme"):
        pytest.skip("this Qt cannot be told a colour scheme (Qt < 6.8)")
    hints.setColorScheme(Qt.ColorScheme.Light)
    if hints.colorScheme() != Qt.ColorScheme.Light:
        pytest.skip("this platform plugin keeps its own colour scheme (offscreen)")
    assert theme.choose("auto", qapp) == "light"


def test_the_theme_setting_takes_only_known_schemes():
    assert Settings(theme="light").theme == "light"
    with pytest.raises(Exception, match="theme"):
        Settings(theme="sepia")


def test_the_library_paints_light_in_the_light_scheme(qtbot, tmp_path, ui_dirs, scheme):  # noqa: F811
    scheme("light")
    win = LibraryWindow(source(tmp_path))
    qtbot.addWidget(win)
    win.resize(900, 600)
    win.show()
    win.add_paths([str(folder_book(tmp_path, "Alpha"))])
    qtbot.waitUntil(lambda: len(win.entries()) == 1)
    shot = win.grab().toImage()
    grid_bg = shot.pixelColor(shot.width() - 20, shot.height() // 2)  # the empty grid
    side = win.shelves.grab().toImage().pixelColor(100, 300)
    assert grid_bg.lightness() > 200 and side.lightness() > 200


def test_the_settings_dialog_switches_to_light_at_once_and_keeps_the_language(
    qtbot,
    qapp,
    ui_dirs,  # noqa: F811
    scheme,
):
    from m2m_reader.engine.core import settings as settings_file
    from m2m_reader.ui.bridge import EngineBridge
    from m2m_reader.ui.settings_dialog import SettingsDialog

    settings = Settings()
    bridge = EngineBridge(None, settings)
    dialog = SettingsDialog(settings, bridge)
    qtbot.addWidget(dialog)
    assert dialog.theme.currentText() == "Follow the system"
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    dialog.language.setCurrentIndex(dialog.language.findData("ja"))
    assert dialog.language.currentText() == "日本語"
    dialog.accept()
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 230
    assert (settings.theme, settings.language) == ("light", "ja")
    qtbot.waitUntil(lambda: settings_file.load().theme == "light")
    assert settings_file.load().language == "ja"


def test_an_open_library_follows_a_change_of_scheme(qtbot, tmp_path, ui_dirs, scheme):  # noqa: F811
    win = LibraryWindow(source(tmp_path))
    qtbot.addWidget(win)
    win.resize(900, 600)
    win.show()
    qtbot.waitExposed(win)
    dark = win.shelves.grab().toImage().pixelColor(100, 300)
    scheme("light")  # what follow_system does when the system switches
    qtbot.waitUntil(lambda: win.shelves.grab().toImage().pixelColor(100, 300).lightness() > 200)
    assert dark.lightness() < 60
