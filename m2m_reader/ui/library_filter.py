"""The library's ways to narrow and arrange the grid: the side list of shelves (all
books, the ones read lately, each series), the search field and the sort order.

`ShelfFilter` owns those three widgets and their state; `arrange()` orders the grid's
model and hides the cards that do not match (the logic is in `shelves`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QColor, QFont, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLineEdit, QListView, QListWidget, QListWidgetItem

from . import shelves, theme
from .library_cards import ENTRY
from .library_source import LibraryEntry

SHELF_ALL, SHELF_RECENT = "\x00all", "\x00recent"  # side-list keys that are no series
translate = QCoreApplication.translate  # the window's context: one translation for it


def shelves_style() -> str:
    """The side list's look, in the scheme applied (read when the window is made)."""
    return f"""
QListWidget#shelves {{ background: {theme.PANEL_BG}; border: none;
    border-right: 1px solid {theme.BORDER}; padding: 10px 6px; outline: none; }}
QListWidget#shelves::item {{ padding: 6px 10px; border-radius: 6px; }}
QListWidget#shelves::item:hover {{ background: {theme.SURFACE}; }}
QListWidget#shelves::item:selected {{ background: {theme.colour("#24344f")}; color: {theme.TEXT}; }}
"""


class ShelfFilter(QObject):
    """Shelves, search and sort over the cards of `model` shown in `grid`.

    Args:
        changed: called after any choice changes (the window re-arranges and counts).
    """

    def __init__(
        self,
        model: QStandardItemModel,
        grid: QListView,
        changed: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.grid, self.changed = model, grid, changed
        self.shelf = SHELF_ALL
        self.sort = "recent"
        self.query = ""
        self.series: dict[str, str] = {}  # path -> series name ("" for none)

        self.shelves = QListWidget()
        self.shelves.setObjectName("shelves")
        self.shelves.setFixedWidth(210)
        self.shelves.setStyleSheet(shelves_style())
        self.shelves.currentItemChanged.connect(self._shelf_chosen)

        self.search = QLineEdit()
        self.search.setPlaceholderText(translate("LibraryWindow", "Search titles and series"))
        self.search.setClearButtonEnabled(True)
        self.search.setFixedWidth(240)
        self.search.textChanged.connect(self.set_query)

        self.sort_box = QComboBox()
        for key, text in (
            ("recent", translate("LibraryWindow", "Recently read")),
            ("title", translate("LibraryWindow", "Title")),
            ("series", translate("LibraryWindow", "Series and number")),
            ("added", translate("LibraryWindow", "Date added")),
            ("progress", translate("LibraryWindow", "Progress")),
        ):
            self.sort_box.addItem(text, key)
        self.sort_box.setToolTip(translate("LibraryWindow", "Sort the books"))
        self.sort_box.currentIndexChanged.connect(
            lambda i: self.set_sort(self.sort_box.itemData(i))
        )

    def widgets(self) -> tuple[QListWidget, QLineEdit, QComboBox]:
        """The side list, the search field and the sort box, for the window to place."""
        return self.shelves, self.search, self.sort_box

    @property
    def recent_only(self) -> bool:
        return self.shelf == SHELF_RECENT

    def set_shelf(self, shelf: str) -> None:
        """Show all books (SHELF_ALL), the ones read lately (SHELF_RECENT, newest first)
        or one series (its name, in the order of its numbers)."""
        self.shelf = shelf
        for row in range(self.shelves.count()):
            item = self.shelves.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == shelf:
                self.shelves.blockSignals(True)
                self.shelves.setCurrentItem(item)
                self.shelves.blockSignals(False)
        self.changed()

    def _shelf_chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is not None:
            self.set_shelf(item.data(Qt.ItemDataRole.UserRole))

    def set_query(self, text: str) -> None:
        self.query = text
        if self.search.text() != text:
            self.search.setText(text)
        self.changed()

    def set_sort(self, sort: str) -> None:
        self.sort = sort if sort in shelves.SORTS else "recent"
        index = self.sort_box.findData(self.sort)
        if index != self.sort_box.currentIndex():
            self.sort_box.setCurrentIndex(index)
        self.changed()

    def restyle(self) -> None:
        """The colour scheme changed: the side list's own style follows."""
        style = shelves_style()
        if self.shelves.styleSheet() != style:
            self.shelves.setStyleSheet(style)

    def _entries(self) -> list[LibraryEntry]:
        return [self.model.item(r).data(ENTRY) for r in range(self.model.rowCount())]

    def fill_shelves(self) -> None:
        self.shelves.blockSignals(True)
        self.shelves.clear()
        for key, text in (
            (SHELF_ALL, translate("LibraryWindow", "All books")),
            (SHELF_RECENT, translate("LibraryWindow", "Recently read")),
        ):
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.shelves.addItem(item)
        found = shelves.groups(self._entries())
        if found:
            heading = QListWidgetItem(translate("LibraryWindow", "SERIES"))
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            heading.setForeground(QColor(theme.MUTED))
            small = QFont(self.shelves.font())
            small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
            small.setBold(True)
            heading.setFont(small)
            self.shelves.addItem(heading)
        for name, count in found:
            item = QListWidgetItem(f"{name}  ·  {count}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name)
            self.shelves.addItem(item)
        if self.shelf not in (SHELF_ALL, SHELF_RECENT) and self.shelf not in dict(found):
            self.shelf = SHELF_ALL  # its last book went
        for row in range(self.shelves.count()):
            if self.shelves.item(row).data(Qt.ItemDataRole.UserRole) == self.shelf:
                self.shelves.setCurrentRow(row)
        self.shelves.blockSignals(False)

    def arrange(self) -> None:
        """Order the cards and hide those the shelf, the search or the recent list leave out."""
        entries = self._entries()
        self.series = shelves.series_of(entries)
        self.fill_shelves()
        in_series = self.shelf not in (SHELF_ALL, SHELF_RECENT)
        if in_series:
            order = sorted(entries, key=shelves.number_key)
        else:
            order = shelves.ordered(
                entries, "recent" if self.recent_only else self.sort, self.series
            )
        rank = {e.path: i for i, e in enumerate(order)}
        if [e.path for e in entries] != [e.path for e in order]:
            items = [self.model.takeRow(0)[0] for _ in range(self.model.rowCount())]
            items.sort(key=lambda it: rank[it.data(ENTRY).path])
            for item in items:
                self.model.appendRow(item)
        for row in range(self.model.rowCount()):
            entry: LibraryEntry = self.model.item(row).data(ENTRY)
            series = self.series.get(entry.path, "")
            hidden = (
                (self.recent_only and not entry.last_read)
                or (in_series and series != self.shelf)
                or not shelves.matches(entry, series, self.query)
            )
            self.grid.setRowHidden(row, hidden)

    def visible_titles(self) -> list[str]:
        return [
            self.model.item(r).data(ENTRY).title
            for r in range(self.model.rowCount())
            if not self.grid.isRowHidden(r)
        ]
