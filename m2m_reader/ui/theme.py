"""The look: a dark reading room, a quiet panel, and one colour per emotion.

One stylesheet for the whole app, so every window agrees; emotion colours are shared
by the soundtrack panel's bar chart and the mood timeline.
"""

from __future__ import annotations

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


def apply(app: QApplication) -> None:
    """Fusion style, a dark palette (for what the stylesheet leaves alone) and the sheet."""
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
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#0b1220"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(SURFACE))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(MUTED))
    app.setPalette(pal)
    app.setStyleSheet(STYLESHEET)


def emotion_colour(name: str) -> QColor:
    return EMOTION_COLOURS.get(name, EMOTION_COLOURS["neutral"])
