"""The window's language and fonts.

Translations are Qt Linguist files: `m2m_reader_<lang>.ts` here are the sources (made
and updated by `pyside6-lupdate`, see docs/translating.md), the compiled `.qm` files
beside them ship in the package. The language is the `language` setting, or with
"auto" the first of the system's UI languages that has a translation; English is the
source text and needs no file. Qt's own strings (file dialogs, buttons) come from
Qt's `qtbase_<lang>.qm` when the Qt install has it.

CJK text (Japanese titles, the Japanese UI) needs a font with those glyphs; the
application font gets a list of fallbacks, the Japanese forms first, so a title in
Japanese never shows as boxes and kanji take their Japanese shapes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "ja")  # the source language first
# The modules of m2m_reader/ui/ whose texts are translated (pyside6-lupdate reads these;
# tests/test_ui_i18n.py checks the .ts has every one of their strings).
SOURCES = (
    "adjust_dialog.py",
    "app.py",
    "banner.py",
    "controls.py",
    "library_cards.py",
    "library_filter.py",
    "library_menu.py",
    "library_window.py",
    "mood_timeline.py",
    "page_slots.py",
    "page_view.py",
    "reader_bar.py",
    "reader_finding.py",
    "reader_navigation.py",
    "reader_opening.py",
    "reader_panels.py",
    "reader_sound.py",
    "reader_window.py",
    "settings_dialog.py",
    "shortcuts.py",
    "soundtrack_panel.py",
    "strip_view.py",
    "thumbnails.py",
)
CJK_FONTS = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "TakaoGothic",
    "VL Gothic",
    "Noto Sans CJK SC",
    "WenQuanYi Micro Hei",
)


def choose(setting: str, system: list[str] | None = None) -> str:
    """The language to show: the setting, or for "auto" the first system UI language
    (e.g. ["ja-JP", "en-US"]) we have, else English."""
    if setting in LANGUAGES:
        return setting
    for name in system if system is not None else QLocale.system().uiLanguages():
        code = name.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def install(app: QCoreApplication, setting: str = "auto") -> str:
    """Load the translation for the chosen language into `app`; returns its code.
    Translators stay alive as children of `app`; earlier ones are removed."""
    for old in app.findChildren(QTranslator, "m2m-translator"):
        app.removeTranslator(old)
        old.deleteLater()
    language = choose(setting)
    if language == "en":
        return language
    ours = QTranslator(app)
    ours.setObjectName("m2m-translator")
    if ours.load(str(HERE / f"m2m_reader_{language}.qm")):
        app.installTranslator(ours)
    else:
        log.warning("the %s translation is missing from %s; showing English", language, HERE)
        return "en"
    qt = QTranslator(app)
    qt.setObjectName("m2m-translator")
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(f"qtbase_{language}", folder):
        app.installTranslator(qt)
    return language


def set_fonts(app: QApplication) -> list[str]:
    """Give the application font CJK fallbacks that are installed; returns its families."""
    installed = set(QFontDatabase.families())
    font = QFont(app.font())
    families = [font.family(), *(f for f in CJK_FONTS if f in installed)]
    if len(families) == 1:
        log.info("no CJK font is installed; Japanese text may show as boxes")
    font.setFamilies(families)
    app.setFont(font)
    return families
