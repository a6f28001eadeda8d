"""Keyboard shortcuts: an overlay that lists them (`?`) and a dialog to change them.

Every window keeps its keys as QActions (the reader's arrows, Space, F, ...).
`install(window, prefs)` remembers each action's own keys as its defaults, applies the
person's changes kept in the UI state file (`"shortcuts": {action id: ["Ctrl+J"]}`,
only the changed ones, in Qt's portable text), and adds `?` for the overlay; the
overlay's "Customise…" opens the editor. An action's id is its object name, else its
text when installed (before any translation changes it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from . import theme

PREF = "shortcuts"
DEFAULTS = "m2m_default_shortcuts"  # an action's own keys, kept as a dynamic property
PORTABLE = QKeySequence.SequenceFormat.PortableText
NATIVE = QKeySequence.SequenceFormat.NativeText


def action_id(action: QAction) -> str:
    return action.objectName() or action.text().replace("&", "")


def keyed_actions(window: QWidget) -> list[QAction]:
    """The window's actions that have, or had, a key; the overlay's own last."""
    found = [a for a in window.actions() if a.shortcuts() or a.property(DEFAULTS)]
    return [a for a in found if a.objectName() != "shortcut-overlay"] + [
        a for a in found if a.objectName() == "shortcut-overlay"
    ]


def _defaults(action: QAction) -> list[str]:
    return list(action.property(DEFAULTS) or [])


def apply_custom(window: QWidget, custom: Any) -> None:
    """Give each action its custom keys (`custom`: id -> list of portable strings),
    the others their defaults. Bad entries are skipped."""
    custom = custom if isinstance(custom, dict) else {}
    for action in keyed_actions(window):
        keys = custom.get(action_id(action))
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            keys = _defaults(action)
        action.setShortcuts([QKeySequence.fromString(k, PORTABLE) for k in keys if k])


def install(window: QWidget, prefs: Any) -> QAction:
    """Remember the window's keys, apply the person's, and add `?` for the overlay."""
    for action in window.actions():
        if action.shortcuts() and action.property(DEFAULTS) is None:
            action.setProperty(DEFAULTS, [s.toString(PORTABLE) for s in action.shortcuts()])
            if not action.objectName():
                action.setObjectName(action.text().replace("&", ""))
    overlay = ShortcutOverlay(window, prefs)
    show = QAction(QCoreApplication.translate("ShortcutOverlay", "Keyboard shortcuts"), window)
    show.setObjectName("shortcut-overlay")
    show.setShortcut(QKeySequence("?"))
    show.setProperty(DEFAULTS, ["?"])
    show.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    show.triggered.connect(overlay.toggle)
    window.addAction(show)
    window.setProperty("shortcut_overlay", overlay)
    apply_custom(window, prefs.get(PREF))
    return show


def conflicts(chosen: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """(key, first action, second action) for every key given to two actions."""
    seen: dict[str, str] = {}
    out = []
    for name, keys in chosen.items():
        for key in keys:
            if key in seen and seen[key] != name:
                out.append((key, seen[key], name))
            seen.setdefault(key, name)
    return out


class ShortcutOverlay(QWidget):
    """A card over the window listing each action and its keys; `?`, Esc or a click
    closes it."""

    def __init__(self, window: QWidget, prefs: Any) -> None:
        super().__init__(window)
        self.window_, self.prefs = window, prefs
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.card = QFrame(self)
        self.card.setObjectName("card")
        column = QVBoxLayout(self.card)
        column.setContentsMargins(22, 18, 22, 18)
        heading = QLabel(self.tr("Keyboard shortcuts"))
        heading.setObjectName("heading")
        column.addWidget(heading)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(4)
        holder = QWidget()
        holder.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        column.addWidget(scroll, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Press ? or Esc to close")), 1)
        self.customise = QPushButton(self.tr("Customise…"))
        self.customise.clicked.connect(self.edit)
        row.addWidget(self.customise)
        column.addLayout(row)
        window.installEventFilter(self)
        self.hide()

    def rows(self) -> list[tuple[str, str]]:
        """(what it does, its keys) as shown."""
        return [
            (a.text().replace("&", ""), ", ".join(s.toString(NATIVE) for s in a.shortcuts()))
            for a in keyed_actions(self.window_)
            if a.shortcuts()
        ]

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
            return
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        rows = self.rows()
        half = (len(rows) + 1) // 2
        for i, (text, keys) in enumerate(rows):
            r, c = (i, 0) if i < half else (i - half, 2)
            key = QLabel(keys)
            key.setObjectName("badge")
            self.grid.addWidget(key, r, c, Qt.AlignmentFlag.AlignRight)
            self.grid.addWidget(QLabel(text), r, c + 1)
        self._fit()
        self.show()
        self.raise_()
        self.setFocus()

    def _fit(self) -> None:
        self.setGeometry(self.window_.rect())
        w = min(760, self.width() - 40)
        h = min(560, self.height() - 40)
        self.card.setGeometry((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.window_ and event.type() == QEvent.Type.Resize and self.isVisible():
            self._fit()
        return False

    def event(self, event: QEvent) -> bool:
        # Esc and ? close the overlay even where the window has them as shortcuts
        # (the reader's Esc leaves full screen): taken as key presses while it has focus.
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in (  # type: ignore[attr-defined]
            Qt.Key.Key_Escape,
            Qt.Key.Key_Question,
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Question):
            self.hide()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        if not self.card.geometry().contains(event.position().toPoint()):
            self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0, 150))

    def edit(self) -> None:
        self.hide()
        dialog = ShortcutEditor(self.window_, self.prefs)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.window_.setProperty("shortcut_editor", dialog)


class ShortcutEditor(QDialog):
    """One row per action: press a key in its field to change it. A key given to two
    actions is named and OK waits until it is resolved. Saved in the UI state file."""

    def __init__(self, window: QWidget, prefs: Any) -> None:
        super().__init__(window)
        self.window_, self.prefs = window, prefs
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.resize(560, 620)
        self.actions_ = keyed_actions(window)
        self.table = QTableWidget(len(self.actions_), 3)
        self.table.setHorizontalHeaderLabels([self.tr("Action"), self.tr("Key"), self.tr("Also")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.edits: dict[str, QKeySequenceEdit] = {}
        self.extra: dict[str, list[str]] = {}  # keys beyond the first, kept as they are
        self.also: dict[str, QLabel] = {}  # ... and shown beside it
        for row, action in enumerate(self.actions_):
            name = action_id(action)
            label = QLabel("  " + action.text().replace("&", ""))
            self.table.setCellWidget(row, 0, label)
            keys = [s.toString(PORTABLE) for s in action.shortcuts()]
            edit = QKeySequenceEdit(
                QKeySequence.fromString(keys[0], PORTABLE) if keys else QKeySequence()
            )
            edit.setClearButtonEnabled(True)
            edit.keySequenceChanged.connect(lambda _k, n=name: self._changed(n))
            self.table.setCellWidget(row, 1, edit)
            self.also[name] = QLabel("")
            self.also[name].setProperty("role", "muted")
            self.table.setCellWidget(row, 2, self.also[name])
            self.edits[name] = edit
            self.extra[name] = keys[1:]
            self._show_also(name)
        self.table.resizeColumnToContents(0)
        self.table.setColumnWidth(1, 170)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.EMOTION_COLOURS['anger'].name()};")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_defaults
        )
        column = QVBoxLayout(self)
        column.addWidget(self.table, 1)
        column.addWidget(self.problem)
        column.addWidget(buttons)

    def chosen(self) -> dict[str, list[str]]:
        """Each action's keys as the dialog has them (portable text)."""
        out = {}
        for name, edit in self.edits.items():
            first = edit.keySequence().toString(PORTABLE)
            out[name] = ([first] if first else []) + (self.extra[name] if first else [])
        return out

    def _show_also(self, name: str) -> None:
        keys = [QKeySequence.fromString(k, PORTABLE).toString(NATIVE) for k in self.extra[name]]
        self.also[name].setText("  " + ", ".join(keys))

    def _changed(self, name: str) -> None:
        # A key pressed for an action replaces all its keys: what is shown is what holds.
        self.extra[name] = []
        self._show_also(name)
        self._check()

    def _check(self) -> None:
        clashes = conflicts(self.chosen())
        names = {action_id(a): a.text().replace("&", "") for a in self.actions_}
        self.problem.setText(
            "\n".join(
                self.tr("%1 is given to both “%2” and “%3”.")
                .replace("%1", QKeySequence.fromString(k, PORTABLE).toString(NATIVE))
                .replace("%2", names[a])
                .replace("%3", names[b])
                for k, a, b in clashes
            )
        )
        self.ok.setEnabled(not clashes)

    def restore_defaults(self) -> None:
        for action in self.actions_:
            name, keys = action_id(action), _defaults(action)
            self.extra[name] = keys[1:]
            self.edits[name].blockSignals(True)
            self.edits[name].setKeySequence(
                QKeySequence.fromString(keys[0], PORTABLE) if keys else QKeySequence()
            )
            self.edits[name].blockSignals(False)
            self._show_also(name)
        self._check()

    def accept(self) -> None:
        if conflicts(self.chosen()):
            return
        changed = {
            name: keys
            for name, keys in self.chosen().items()
            if keys != _defaults(next(a for a in self.actions_ if action_id(a) == name))
        }
        kept = self.prefs.get(PREF)
        kept = dict(kept) if isinstance(kept, dict) else {}
        for name in self.edits:  # this window's entries; another window's stay
            kept.pop(name, None)
        kept.update(changed)
        self.prefs.set(PREF, kept)
        apply_custom(self.window_, kept)
        save = getattr(self.window_, "_save_prefs", None)
        if callable(save):  # the reader writes its UI state in the background
            save()
        super().accept()
