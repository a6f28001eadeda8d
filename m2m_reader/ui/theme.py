"""The look: a dark reading room, a quiet panel, and one colour per emotion.

One stylesheet for the whole app, so every window agrees; emotion colours are shared
by the soundtrack panel's bar chart and the mood timeline. A light scheme follows the
system's (or the `theme` setting): the same sheet with each colour swapped for its
daylight one (`LIGHT`), and the colour names below set to the scheme's, so widgets
that paint themselves agree.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

READING_BG = QColor("#0f1012")
PANEL_BG = "#17191d"
SURFACE = "#1f2228"
BORDER = "#2a2e36"
TEXT = "#e6e8eb"
MUTED = "#8b93a1"
ACCENT = "#5b9dff"
READY = QColor("#4cc38a")

EMOTION_COLOURS: dict[str, QColor] = {
    "anger": QColor("#e5534b"),
    "disgust": QColor("#8cb85c"),
    "fear": QColor("#9b72d9"),
    "happiness": QColor("#f2c94c"),
    "neutral": QColor("#7d8696"),
    "sadness": QColor("#4a8fe0"),
    "surprise": QColor("#f0883e"),
}

# The arrow of a button that also opens a menu ("Vertical"), drawn in its own part.
MENU_ARROW = (Path(__file__).resolve().parent / "icons" / "menu-arrow.svg").as_posix()

STYLESHEET = f"""
QWidget {{ color: {TEXT}; font-size: 10pt; }}
QMainWindow, QDialog {{ background: {PANEL_BG}; }}
QMainWindow::separator {{ background: {BORDER}; width: 1px; height: 1px; }}
QDockWidget {{ titlebar-close-icon: none; }}
QDockWidget::title {{
    background: {PANEL_BG}; padding: 8px 10px; font-weight: 600; color: {MUTED};
}}
QToolBar {{ background: {PANEL_BG}; border: none; border-bottom: 1px solid {BORDER};
    spacing: 4px; padding: 4px 6px; }}
QToolBar QToolButton {{ padding: 4px 8px; border-radius: 6px; }}
QToolButton {{ background: transparent; border: 1px solid transparent; border-radius: 6px;
    padding: 4px 8px; }}
QToolButton:hover {{ background: {SURFACE}; border-color: {BORDER}; }}
QToolButton:checked {{ background: #24344f; border-color: {ACCENT}; }}
QPushButton {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px;
    padding: 5px 12px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #5a616d; }}
QPushButton#primary {{ background: {ACCENT}; color: #0b1220; border-color: {ACCENT};
    font-weight: 600; }}
QPushButton#primary:disabled {{ background: {SURFACE}; color: #5a616d; border-color: {BORDER}; }}
QToolButton::menu-indicator {{ image: none; width: 0; }}
QToolButton[popupMode="1"] {{ padding-right: 26px; }}
QToolButton::menu-button {{ width: 20px; border: none; border-left: 1px solid {BORDER};
    border-top-right-radius: 6px; border-bottom-right-radius: 6px; }}
QToolButton::menu-button:hover {{ background: {BORDER}; }}
QToolButton::menu-arrow {{ image: url({MENU_ARROW}); width: 10px; height: 6px; }}
QLineEdit, QPlainTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 4px 6px;
    selection-background-color: {ACCENT};
}}
QLineEdit:focus, QPlainTextEdit:focus {{ border-color: {ACCENT}; }}
QComboBox QAbstractItemView {{ background: {SURFACE}; border: 1px solid {BORDER}; }}
QLabel#muted, QLabel[role="muted"] {{ color: {MUTED}; }}
QLabel#heading {{ font-size: 12pt; font-weight: 600; }}
QLabel#section {{ color: {MUTED}; font-size: 8.5pt; font-weight: 600;
    text-transform: uppercase; letter-spacing: 1px; }}
QLabel#badge {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 8px;
    padding: 1px 7px; color: {MUTED}; font-size: 8.5pt; }}
QLabel#badge[edited="true"] {{ color: #f2c94c; border-color: #6b5a1f; }}
QFrame#card {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 10px; }}
QFrame#banner {{ background: #3a2a12; border: 1px solid #6b4e1f; border-radius: 8px; }}
QFrame#banner[level="error"] {{ background: #3d1c1c; border-color: #7a2e2e; }}
QStatusBar {{ background: {PANEL_BG}; color: {MUTED}; border-top: 1px solid {BORDER}; }}
QProgressBar {{ background: {SURFACE}; border: none; border-radius: 3px; height: 6px;
    text-align: center; color: transparent; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {TEXT}; width: 12px; height: 12px;
    margin: -4px 0; border-radius: 6px; }}
QListView {{ background: {READING_BG.name()}; border: none; }}
QScrollBar:vertical {{ background: transparent; width: 10px; }}
QScrollBar::handle:vertical {{ background: #3a3f48; border-radius: 5px; min-height: 30px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; width: 0; }}
QMenu {{ background: {SURFACE}; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 5px 22px; border-radius: 4px; }}
QMenu::item:selected {{ background: #24344f; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; border-radius: 6px; }}
QTabBar::tab {{ background: transparent; padding: 6px 14px; color: {MUTED}; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QToolTip {{ background: {SURFACE}; color: {TEXT}; border: 1px solid {BORDER}; }}
"""


# Each colour of the dark room as it is in a light one.
LIGHT: dict[str, str] = {
    "#0f1012": "#e8eaee",  # reading background
    "#17191d": "#f6f7f9",  # panels
    "#1f2228": "#ffffff",  # surfaces
    "#2a2e36": "#d3d8e0",  # borders
    "#e6e8eb": "#1c2027",  # text
    "#8b93a1": "#5b6473",  # muted text
    "#5b9dff": "#2f6fde",  # accent
    "#24344f": "#dce8ff",  # checked, selected
    "#22324a": "#dce8ff",  # a selected card
    "#5a616d": "#a3a9b4",  # disabled text
    "#0b1220": "#ffffff",  # text on the accent
    "#f2c94c": "#8a6100",  # an edited badge
    "#6b5a1f": "#d9b44a",
    "#3a2a12": "#fff3d6",  # a warning banner
    "#6b4e1f": "#e6c070",
    "#3d1c1c": "#fde3e3",  # an error banner
    "#7a2e2e": "#e29a9a",
    "#3a3f48": "#c2c8d1",  # scroll bar handle
}
_DARK = {"READING_BG": READING_BG.name(), "PANEL_BG": PANEL_BG, "SURFACE": SURFACE,
         "BORDER": BORDER, "TEXT": TEXT, "MUTED": MUTED, "ACCENT": ACCENT}  # fmt: skip
SCHEMES = ("dark", "light")
scheme = "dark"  # the one applied last
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def colour(dark: str) -> str:
    """`dark` (a colour of the dark scheme) as the applied scheme has it."""
    return LIGHT.get(dark.lower(), dark) if scheme == "light" else dark


def system_scheme(app: QApplication) -> str:
    """ "light" when the system says it prefers light, else "dark" (also when it does
    not say: the reading room is dark)."""
    hints = app.styleHints()
    ask = getattr(hints, "colorScheme", None)  # Qt 6.5 and later
    return "light" if ask is not None and ask() == Qt.ColorScheme.Light else "dark"


def choose(setting: str, app: QApplication) -> str:
    """The scheme the `theme` setting asks for ("auto": the system's)."""
    return setting if setting in SCHEMES else system_scheme(app)


def follow_system(app: QApplication, setting: str) -> None:
    """With the setting "auto", a change of the system's scheme applies at once."""
    changed = getattr(app.styleHints(), "colorSchemeChanged", None)
    if setting not in SCHEMES and changed is not None:
        changed.connect(lambda *_: apply(app, system_scheme(app)))


def apply(app: QApplication, scheme_name: str = "dark") -> None:
    """Fusion style, a palette (for what the stylesheet leaves alone) and the sheet, in
    the dark or the light scheme."""
    global scheme, READING_BG, PANEL_BG, SURFACE, BORDER, TEXT, MUTED, ACCENT
    scheme = scheme_name if scheme_name in SCHEMES else "dark"
    now = {name: colour(value) for name, value in _DARK.items()}
    READING_BG = QColor(now["READING_BG"])
    PANEL_BG, SURFACE, BORDER = now["PANEL_BG"], now["SURFACE"], now["BORDER"]
    TEXT, MUTED, ACCENT = now["TEXT"], now["MUTED"], now["ACCENT"]
    app.setStyle("Fusion")
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor(PANEL_BG))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor(PANEL_BG))
    pal.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Button, QColor(SURFACE))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor(colour("#0b1220")))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(SURFACE))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(MUTED))
    app.setPalette(pal)
    app.setStyleSheet(_HEX.sub(lambda m: colour(m.group(0)), STYLESHEET))


def emotion_colour(name: str) -> QColor:
    return EMOTION_COLOURS.get(name, EMOTION_COLOURS["neutral"])
