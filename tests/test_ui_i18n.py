"""The window in Japanese: the language from the setting or the system locale, a
complete translation compiled into the package, and CJK text in an installed font."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QRawFont
from PySide6.QtWidgets import QApplication, QToolButton
from test_ui_library import folder_book, source
from ui_support import ui_dirs  # noqa: F401

from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui import i18n
from m2m_reader.ui.library_window import LibraryWindow

TS = i18n.HERE / "m2m_reader_ja.ts"
UI = Path(i18n.__file__).resolve().parents[1]
LUPDATE = shutil.which("pyside6-lupdate") or str(
    Path(__import__("sys").executable).parent / "pyside6-lupdate"
)


@pytest.fixture
def japanese(qapp):
    assert i18n.install(qapp, "ja") == "ja"
    yield
    i18n.install(qapp, "en")


@pytest.mark.parametrize(
    ("setting", "system", "expected"),
    [
        ("auto", ["ja-JP", "en-US"], "ja"),
        ("auto", ["fr-FR", "ja_JP"], "ja"),
        ("auto", ["de-DE"], "en"),
        ("en", ["ja-JP"], "en"),  # the setting wins over the system
        ("ja", ["en-GB"], "ja"),
    ],
)
def test_the_language_comes_from_the_setting_or_the_system(setting, system, expected):
    assert i18n.choose(setting, system) == expected


def test_the_language_setting_takes_only_known_languages():
    assert Settings(language="ja").language == "ja"
    with pytest.raises(Exception, match="language"):
        Settings(language="klingon")


def test_the_library_window_speaks_japanese(qtbot, tmp_path, ui_dirs, japanese):  # noqa: F811
    win = LibraryWindow(source(tmp_path))
    qtbot.addWidget(win)
    win.show()
    assert win.windowTitle() == "ライブラリ — m2m-reader"
    buttons = [b.text() for b in win.findChildren(QToolButton)]
    assert "+  本を追加…" in buttons and "♪  オフライン用に準備" in buttons
    assert "ライブラリは空です" in win.empty.text()
    assert win.search.placeholderText() == "タイトルとシリーズを検索"
    win.add_paths([str(folder_book(tmp_path, "春の旋律", 3))])
    qtbot.waitUntil(lambda: len(win.entries()) == 1)
    menu = win.context_menu(win.entries())
    assert [a.text() for a in menu.actions() if a.text()] == [
        "開く", "オフライン用に準備", "フォルダを表示", "ライブラリから削除"
    ]  # fmt: skip
    assert win.count_label.text() == "本: 1 冊"


def test_english_again_after_switching_back(qtbot, tmp_path, ui_dirs, qapp):  # noqa: F811
    i18n.install(qapp, "ja")
    i18n.install(qapp, "en")
    win = LibraryWindow(source(tmp_path))
    qtbot.addWidget(win)
    assert win.windowTitle() == "Library — m2m-reader"


def test_the_translation_is_complete_and_compiled():
    root = ET.parse(TS).getroot()
    messages = list(root.iter("message"))
    assert len(messages) >= 40
    unfinished = [m.findtext("source") for m in messages
                  if m.find("translation").get("type") == "unfinished"
                  or not (m.findtext("translation") or "").strip()]  # fmt: skip
    assert unfinished == []
    qm = TS.with_suffix(".qm")
    assert qm.exists() and qm.stat().st_mtime >= TS.stat().st_mtime - 1


@pytest.mark.skipif(not Path(LUPDATE).exists(), reason="pyside6-lupdate is not installed")
def test_every_string_of_the_library_window_is_in_the_translation(tmp_path):
    fresh = tmp_path / "fresh.ts"
    files = [str(UI / name) for name in i18n.SOURCES]
    subprocess.run([LUPDATE, *files, "-ts", str(fresh)], check=True, capture_output=True)
    wanted = {m.findtext("source") for m in ET.parse(fresh).getroot().iter("message")}
    have = {m.findtext("source") for m in ET.parse(TS).getroot().iter("message")}
    assert wanted - have == set()


def test_japanese_titles_get_a_cjk_font(qapp):
    installed = [
        f for f in i18n.CJK_FONTS if f in __import__("PySide6.QtGui").QtGui.QFontDatabase.families()
    ]
    if not installed:
        pytest.skip("no CJK font is installed (Debian: fonts-noto-cjk)")
    before = QApplication.font()
    try:
        families = i18n.set_fonts(qapp)
        assert families[1] == installed[0]  # the Japanese forms first
        assert QRawFont.fromFont(QFont(families[1])).supportsCharacter("春")
    finally:
        QApplication.setFont(before)


def test_the_settings_dialog_speaks_japanese(qtbot, ui_dirs, japanese):  # noqa: F811
    from PySide6.QtWidgets import QTabWidget

    from m2m_reader.ui.bridge import EngineBridge
    from m2m_reader.ui.settings_dialog import SettingsDialog

    settings = Settings()
    dialog = SettingsDialog(settings, EngineBridge(None, settings))
    qtbot.addWidget(dialog)
    tabs = dialog.findChild(QTabWidget)
    assert dialog.windowTitle() == "設定"
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["分析", "音楽", "一般"]
    assert dialog.text.itemText(0) == "内蔵（オフライン）"
    assert dialog.theme.currentText() == "システムに合わせる"
    assert dialog.language.itemText(2) == "日本語"  # a language is named in itself


def test_the_reader_speaks_japanese(qtbot, tmp_path, ui_dirs, japanese):  # noqa: F811
    from test_ui_single_instance import make_app

    app = make_app(qtbot, tmp_path)
    reader = app.reader
    buttons = [b.text() for b in reader.findChildren(QToolButton)]
    assert "☰  ライブラリ" in buttons and "⚙  設定" in buttons
    assert reader.dock.windowTitle() == "サウンドトラック"
    assert reader.panel.now_playing.text() in ("再生していません", "音楽エンジンを起動中…")
    rows = dict(reader.property("shortcut_overlay").rows())
    assert rows["全画面"] == "F, F11" and rows["キーボードショートカット"] == "?"
    app.shutdown()


def test_the_engine_s_events_are_told_in_japanese(qtbot, tmp_path, ui_dirs, japanese):  # noqa: F811
    """The engine speaks English; the reader says what happened in Japanese and keeps
    the engine's own sentence after it."""
    from test_ui_reader import make_window
    from ui_support import make_book

    from m2m_reader.engine.core import events as ev

    win = make_window(qtbot, tmp_path)
    win.set_book(make_book(12, "ltr"))
    win.bridge.on_event(ev.BackendFallback("music", "musicgen", "composer", "No transformers."))
    qtbot.waitUntil(lambda: win.banner.isVisible())
    assert win.banner.text() == (
        "選んだ音楽を起動できませんでした。代わりに内蔵の作曲エンジンが演奏します。\nNo transformers."
    )
    win.bridge.on_event(ev.EngineError("The disk is full.", page=4))
    qtbot.waitUntil(lambda: "5 ページの音楽" in win.banner.text())
    assert win.banner.text().endswith("\nThe disk is full.")
    win.bridge.on_event(ev.Progress(3, 12, "soundtrack"))
    qtbot.waitUntil(lambda: win.panel.progress.value() == 3)
    qtbot.waitUntil(lambda: win.panel.progress_label.text() == "サウンドトラック：3 / 12")
    assert win.status_progress.text().strip() == "サウンドトラック 3/12"
