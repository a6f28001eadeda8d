"""Moving through a book: turns, scrolling within a spread, jumps, and the keys.

Keys follow the book's direction: in a right-to-left book, Left is the next page.
Space, Down and Up scroll within a spread first and turn at its edge; a split spread
is read half by half. In the vertical strip the strip scrolls and reports the page
under its reading line instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QInputDialog

from .layouts import spread_of

if TYPE_CHECKING:
    from .reader_window import ReaderWindow


class Navigator(QObject):
    def __init__(self, window: ReaderWindow) -> None:
        super().__init__(window)
        self.w = window
        self.goto_dialog: QInputDialog | None = None

    def next_spread(self) -> None:
        w = self.w
        if w.vertical:
            w.strip.step_page(True)
            return
        if w.split_here() and w.half == 0:
            w.half = 1
            w.show_spread(kind="half")
            return
        k = w.spread_index
        if k + 1 < len(w.groups):
            w.page = w.groups[k + 1][0]
            w.half = 0
            w.show_spread(kind="turn")
        else:
            w.finder.past_the_end()

    def prev_spread(self, at_end: bool = False) -> None:
        """The previous spread, at its start; at its end (`at_end`) when scrolling back."""
        w = self.w
        if w.vertical:
            w.strip.step_page(False)
            return
        if w.split_here() and w.half == 1:
            w.half = 0
            w.show_spread(kind="half", at_end=at_end)
            return
        k = w.spread_index
        if k > 0:
            w.page = w.groups[k - 1][0]
            w.half = 1 if w.split_here() else 0
            w.show_spread(kind="turn", at_end=at_end)

    def read_on(self, forward: bool) -> None:
        """Space / Down (Up): scroll within the spread first, turn at its edge."""
        w = self.w
        if w.vertical:
            if not w.strip.advance(forward) and forward:
                w.finder.past_the_end()
        elif w.view.advance(forward) == "turn":
            self.next_spread() if forward else self.prev_spread(at_end=True)

    def go_to_page(self, page: int, kind: str = "jump") -> None:
        w = self.w
        if not w.groups:
            return
        page = min(max(0, page), len(w.wide) - 1)
        if w.vertical:
            w.strip_kind = kind
            w.strip.go_to_page(page, animate=False)
            w.strip_kind = "turn"
            return
        w.page = w.groups[spread_of(w.groups, page)][0]
        w.half = 0
        w.show_spread(kind=kind)

    def arrow(self, side: str) -> None:
        w = self.w
        if not w.vertical and w.view.sideways(side == "left") != "turn":
            return
        self.turn_side(side)

    def turn_side(self, side: str) -> None:
        forward = (side == "left") == (self.w.direction == "rtl")
        self.next_spread() if forward else self.prev_spread()

    def zone(self, zone: str) -> None:
        if zone in ("left", "right"):
            self.turn_side(zone)

    def ask_page(self) -> None:
        w = self.w
        if not w.wide:
            return
        dialog = QInputDialog(w)
        dialog.setWindowTitle(self.tr("Go to page"))
        dialog.setLabelText(self.tr("Page (1–%1):").replace("%1", str(len(w.wide))))
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(1, len(w.wide))
        dialog.setIntValue(w.page + 1)
        dialog.intValueSelected.connect(lambda v: self.go_to_page(v - 1))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.goto_dialog = dialog
