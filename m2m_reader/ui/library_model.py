"""The library grid's model: one item per book card, its `LibraryEntry` and its cover.

Covers are decoded on a worker and land on their card if it is still there. A card
that is updated keeps its item (and so its decoded cover and the selection).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QPersistentModelIndex
from PySide6.QtGui import QImage, QStandardItem, QStandardItemModel

from .library_cards import COVER, ENTRY, decode_cover
from .library_source import LibraryEntry
from .tasks import Runner


class CardModel(QStandardItemModel):
    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner  # decodes the covers

    def entry_at(self, row: int) -> LibraryEntry:
        entry: LibraryEntry = self.item(row).data(ENTRY)
        return entry

    def entries(self) -> list[LibraryEntry]:
        return [self.entry_at(r) for r in range(self.rowCount())]

    def row_of(self, path: str) -> int | None:
        for row in range(self.rowCount()):
            if self.entry_at(row).path == path:
                return row
        return None

    def sync(self, entries: list[LibraryEntry], preparing: Callable[[str], bool]) -> None:
        """Bring the cards in line with `entries`, keeping those that did not go."""
        wanted = {e.path for e in entries}
        for row in reversed(range(self.rowCount())):
            if self.entry_at(row).path not in wanted:
                self.removeRow(row)
        for entry in entries:
            self.put(entry, preparing(entry.path))

    def put(self, entry: LibraryEntry, preparing: bool = False) -> None:
        """Add the card, or update it; `preparing`: the preparing thread's count of
        pages with music is newer than the listing's, so the larger one stays."""
        row = self.row_of(entry.path)
        if row is not None:
            item = self.item(row)
            old = self.entry_at(row)
            if preparing:
                entry.cached, entry.verified = max(entry.cached, old.cached), old.verified
            item.setData(entry, ENTRY)
            item.setText(entry.title)
            if entry.cover != old.cover:
                self._decode_cover(item, entry)
            return
        item = QStandardItem(entry.title)
        item.setEditable(False)
        item.setData(entry, ENTRY)
        item.setToolTip(f"{entry.title}\n{entry.path}")
        self.appendRow(item)
        self._decode_cover(item, entry)

    def update(self, path: str, **changes: object) -> LibraryEntry | None:
        """Change fields of the card of `path` (None: no such card)."""
        row = self.row_of(path)
        if row is None:
            return None
        entry = self.entry_at(row)
        for name, value in changes.items():
            setattr(entry, name, value)
        self.item(row).setData(entry, ENTRY)
        return entry

    def _decode_cover(self, item: QStandardItem, entry: LibraryEntry) -> None:
        if entry.cover:
            card = QPersistentModelIndex(item.index())

            def decoded(image: QImage) -> None:
                if card.isValid():  # the card may have gone meanwhile
                    self.setData(self.index(card.row(), card.column()), image, COVER)

            self.runner.run(decode_cover, entry.cover, on_done=decoded)
