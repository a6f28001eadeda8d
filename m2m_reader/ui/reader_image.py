"""The image choices of the reader: crop, colour filters, split spreads, the pairing
shift, zoom, and the vertical strip's gaps and padding.

Filters apply to every book and are re-applied a moment after the last change, so
dragging a slider does not re-decode the pages at every step; the pairing shift is
kept per book.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer

from .filters import ImageFilter

if TYPE_CHECKING:
    from .adjust_dialog import AdjustDialog
    from .reader_window import ReaderWindow


class ImageChoices(QObject):
    def __init__(self, window: ReaderWindow) -> None:
        super().__init__(window)
        self.w = window
        self.image_filter = ImageFilter.from_dict(window.prefs.get("image_filter"))
        self.adjust_dialog: AdjustDialog | None = None
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(self.apply_filter_now)

    def set_filter(self, image_filter: ImageFilter) -> None:
        """Crop and colour filters for every book; pages are re-decoded a moment later."""
        self.image_filter = image_filter
        self.w.prefs.set("image_filter", image_filter.to_dict())
        self.w.save_soon()
        self._filter_timer.start()

    def apply_filter_now(self) -> None:
        w, f = self.w, self.image_filter
        w.images.set_transform(None if f.identity else f.apply)
        if w.book is not None:
            if w.vertical:
                w.strip.set_active(True)
            else:
                w.show_spread(kind="none")

    def set_crop(self, on: bool) -> None:
        """C: crop the white borders around every page."""
        self.set_filter(replace(self.image_filter, crop=on))

    def open_adjust(self) -> None:
        from .adjust_dialog import AdjustDialog

        dialog = AdjustDialog(self.image_filter, self.w)
        dialog.changed.connect(lambda f: self.set_filter(replace(f, crop=self.image_filter.crop)))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.adjust_dialog = dialog

    def set_split(self, on: bool) -> None:
        """X: show a two-page scan one half at a time, in reading order."""
        w = self.w
        w.split = on
        w.half = 0
        w.prefs.set("split_spreads", on)
        w.save_soon()
        w.show_spread(kind="none")

    def toggle_shift(self) -> None:
        """Shift+D: the pairs from this spread on move by one page (again: undo). Kept
        per book, for books whose printed pairs go out of step mid-way."""
        w = self.w
        group = w.current_pages()
        if w.book is None or not group:
            return
        first = group[0]
        if len(group) == 1 and first in w.shifts:
            w.shifts.discard(first)
        else:
            w.shifts.add(first)
        w.book_entry(w.book)["shifts"] = sorted(w.shifts)
        w.save_soon()
        w.relayout()
        w.show_spread(kind="none")

    def zoom_step(self, step: int) -> None:
        """+1 / -1 zoom in / out, 0 back to the fit; in the strip, the column's padding."""
        w = self.w
        if w.vertical:
            padding = float(w.prefs.get("strip_padding", 0.0))
            padding = 0.0 if step == 0 else round(min(0.4, max(0.0, padding - step * 0.05)), 2)
            self.set_strip_spacing(padding=padding)
        elif step == 0:
            w.view.set_zoom(1.0)
        else:
            w.view.set_zoom(w.view.zoom * (1.15 if step > 0 else 1 / 1.15))

    def set_strip_spacing(self, gap: int | None = None, padding: float | None = None) -> None:
        prefs = self.w.prefs
        gap = int(prefs.get("strip_gap", 0)) if gap is None else gap
        padding = float(prefs.get("strip_padding", 0.0)) if padding is None else padding
        prefs.set("strip_gap", gap)
        prefs.set("strip_padding", padding)
        self.w.strip.set_spacing(gap, padding)
        self.w.save_soon()
