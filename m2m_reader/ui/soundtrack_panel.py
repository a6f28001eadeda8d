"""The soundtrack panel: what the music is doing on this page, and why.

It shows the current scene (its page range), the scene's emotion profile as a bar
chart, the scene's music directive and the page's caption with the backend that wrote
each, what is playing now and the engine's progress. The directive and the caption are
editable; "Regenerate" hands the edit to the engine, which redoes only what depends on
it. A refresh from the engine never overwrites text the person is still editing.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..engine.analysis.emotions import EMOTIONS
from . import theme

ROW = 15  # pixels per emotion bar
# The emotions' names as shown (lupdate finds them here; the records keep the English).
_EMOTION_TEXTS = (
    QT_TRANSLATE_NOOP("EmotionBars", "anger"),
    QT_TRANSLATE_NOOP("EmotionBars", "disgust"),
    QT_TRANSLATE_NOOP("EmotionBars", "fear"),
    QT_TRANSLATE_NOOP("EmotionBars", "happiness"),
    QT_TRANSLATE_NOOP("EmotionBars", "neutral"),
    QT_TRANSLATE_NOOP("EmotionBars", "sadness"),
    QT_TRANSLATE_NOOP("EmotionBars", "surprise"),
)


class EmotionBars(QWidget):
    """Seven horizontal bars, one per KangaiSet class, with their shares."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile: dict[str, float] = {}
        self.setMinimumHeight(7 * ROW + 4)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(260, 7 * ROW + 4)

    def set_profile(self, profile: Mapping[str, float] | None) -> None:
        self.profile = dict(profile or {})
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        label_w, pct_w, row = 78.0, 40.0, float(ROW)
        bar_w = max(10.0, self.width() - label_w - pct_w - 8)
        for i, name in enumerate(EMOTIONS):
            y = 2 + i * row
            share = float(self.profile.get(name, 0.0))
            p.setPen(QColor(theme.MUTED if share < 0.005 else theme.TEXT))
            shown = QCoreApplication.translate("EmotionBars", name)
            p.drawText(QRectF(0, y, label_w, row), Qt.AlignmentFlag.AlignVCenter, shown)
            track = QRectF(label_w, y + 5, bar_w, row - 10)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.SURFACE))
            p.drawRoundedRect(track, 3, 3)
            if share > 0:
                p.setBrush(theme.emotion_colour(name))
                p.drawRoundedRect(
                    QRectF(track.left(), track.top(), bar_w * share, track.height()), 3, 3
                )
            p.setPen(QColor(theme.MUTED))
            pct = QRectF(label_w + bar_w + 4, y, pct_w, row)
            p.drawText(
                pct,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                f"{round(100 * share)}%",
            )
        p.end()


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("section")
    return label


def _badge() -> QLabel:
    badge = QLabel("")
    badge.setObjectName("badge")
    return badge


class _GrowingEdit(QPlainTextEdit):
    """An edit that asks for its minimum only: the scroll area sizes the panel by its
    children's wishes, so the room a tall window has is handed out by the layout."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(super().sizeHint().width(), self.minimumHeight())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().minimumSizeHint().width(), self.minimumHeight())


class _EditBox(QWidget):
    """A heading with a backend badge, an editable text and Regenerate / Revert."""

    submitted = Signal(str)

    def __init__(self, title: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _section(title)
        self.badge = _badge()
        self.edit = _GrowingEdit()
        self.edit.setPlaceholderText(self.tr("Waiting for the analysis…"))
        # Two lines at least, more as the window allows: the panel fits the first-start
        # window of a small screen without scrolling and uses a tall one's room.
        line = self.edit.fontMetrics().lineSpacing()
        self.edit.setMinimumHeight(2 * line + 14)
        self.edit.setMaximumHeight(8 * line + 14)
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.regenerate = QPushButton(action)
        self.regenerate.setObjectName("primary")
        self.revert = QPushButton(self.tr("Revert"))
        self._original = ""
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.badge)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert)
        buttons.addWidget(self.regenerate)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        box.addLayout(head)
        box.addWidget(self.edit)
        box.addLayout(buttons)
        self.edit.textChanged.connect(self._changed)
        self.regenerate.clicked.connect(lambda: self.submitted.emit(self.text()))
        self.revert.clicked.connect(lambda: self.edit.setPlainText(self._original))
        self._changed()

    def text(self) -> str:
        return self.edit.toPlainText().strip()

    @property
    def dirty(self) -> bool:
        return self.text() != self._original.strip()

    def show_record(self, text: str, backend: str, edited: bool, *, force: bool = False) -> None:
        """Show the engine's text unless the person is editing (or `force`)."""
        if force or not self.dirty:
            self._original = text
            self.edit.setPlainText(text)
        else:
            self._original = text
        label = self.tr("edited by you") if edited else (backend or "")
        self.badge.setText(label)
        self.badge.setVisible(bool(label))
        self.badge.setProperty("edited", "true" if edited else "false")
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
        self._changed()

    def _changed(self) -> None:
        dirty = self.dirty and bool(self.text())
        self.regenerate.setEnabled(dirty)
        self.revert.setEnabled(self.dirty)


class SoundtrackPanel(QWidget):
    """The dock's content. Feed it pages, analyses and player state; it emits edits."""

    directiveEdited = Signal(int, int, str)  # first page, last page, text
    captionEdited = Signal(int, str)  # page, text
    prepareRequested = Signal()

    def __init__(self, controls: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = 0
        self.analysis: object | None = None
        self._scene_range: tuple[int, int] | None = None
        self.scene_title = QLabel(self.tr("No scene yet"))
        self.scene_title.setObjectName("heading")
        self.scene_reason = QLabel("")
        self.scene_reason.setProperty("role", "muted")
        self.scene_reason.setWordWrap(True)
        self.bars = EmotionBars()
        self.directive = _EditBox(self.tr("Scene directive"), self.tr("Regenerate scene"))
        self.caption = _EditBox(self.tr("Page caption"), self.tr("Regenerate page"))
        self.now_playing = QLabel(self.tr("Nothing playing"))
        self.now_playing.setWordWrap(True)
        self.progress_label = QLabel(self.tr("Engine idle"))
        self.progress_label.setProperty("role", "muted")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.prepare = QPushButton(self.tr("Prepare whole book for offline"))

        playing_card = QFrame()
        playing_card.setObjectName("card")
        card = QVBoxLayout(playing_card)
        card.setContentsMargins(12, 10, 12, 10)
        card.addWidget(_section(self.tr("Now playing")))
        card.addWidget(self.now_playing)
        if controls is not None:
            card.addWidget(controls)

        box = QVBoxLayout(self)
        box.setContentsMargins(14, 6, 14, 8)
        box.setSpacing(6)
        box.addWidget(self.scene_title)
        box.addWidget(self.scene_reason)
        box.addWidget(_section(self.tr("Emotions in this scene")))
        box.addWidget(self.bars)
        box.addWidget(self.directive, 2)
        box.addWidget(self.caption, 2)
        box.addWidget(playing_card)
        box.addStretch(0)  # what the edits cannot take (they stop at eight lines)
        box.addWidget(self.progress_label)
        box.addWidget(self.progress)
        box.addWidget(self.prepare)

        self.directive.submitted.connect(self._submit_directive)
        self.caption.submitted.connect(lambda text: self.captionEdited.emit(self.page, text))
        self.prepare.clicked.connect(self.prepareRequested.emit)

    def set_page(self, page: int) -> None:
        changed = page != self.page
        self.page = page
        self._refresh(force=changed)

    def set_analysis(self, analysis: object | None) -> None:
        self.analysis = analysis
        self._refresh(force=False)

    def _refresh(self, *, force: bool) -> None:
        scene = page = None
        if self.analysis is not None:
            try:
                scene = self.analysis.scene_of(self.page)  # type: ignore[attr-defined]
                page = self.analysis.page(self.page)  # type: ignore[attr-defined]
            except (IndexError, AttributeError):
                scene = page = None
        self.caption.title.setText(self.tr("Caption · page %1").replace("%1", str(self.page + 1)))
        if scene is None:
            self._scene_range = None
            self.scene_title.setText(self.tr("Analysing…"))
            self.scene_reason.setText("")
            self.bars.set_profile(None)
            self.directive.show_record("", "", False, force=force)
            self.caption.show_record("", "", False, force=force)
            return
        new_range = (scene.first_page, scene.last_page)
        force_scene = force and new_range != self._scene_range
        self._scene_range = new_range
        provisional = getattr(self.analysis, "provisional", False)
        title = self.tr("Scene %1 · pages %2–%3").replace("%1", str(scene.index + 1))
        title = title.replace("%2", str(scene.first_page + 1)).replace(
            "%3", str(scene.last_page + 1)
        )
        self.scene_title.setText(title + (self.tr(" (provisional)") if provisional else ""))
        self.scene_reason.setText(scene.reason)
        self.scene_reason.setVisible(bool(scene.reason))
        self.bars.set_profile(scene.emotions)
        text_backend = getattr(self.analysis, "backends", {}).get("text", "")
        directive_by = scene.backends.get("directive") or (
            page.backends.get("directive") if page is not None else None
        )
        self.directive.show_record(
            scene.directive,
            directive_by or (text_backend if scene.directive else ""),
            "directive" in scene.edited,
            force=force_scene,
        )
        if page is not None:
            self.caption.show_record(
                page.caption,
                page.backends.get("caption", ""),
                "caption" in page.edited,
                force=force,
            )

    def _submit_directive(self, text: str) -> None:
        if self._scene_range is not None:
            self.directiveEdited.emit(self._scene_range[0], self._scene_range[1], text)

    def set_playing(self, text: str) -> None:
        self.now_playing.setText(text)

    def set_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(min(done, total))
        name = what[:1].upper() + what[1:]  # as the reader names it, in its language
        if total and done >= total:
            text = self.tr("%1: done (%2)").replace("%2", str(total))
        else:
            text = self.tr("%1: %2 of %3").replace("%2", str(done)).replace("%3", str(total))
        self.progress_label.setText(text.replace("%1", name))
