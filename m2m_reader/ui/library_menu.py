"""The library's actions beside its grid: what a right click on the cards offers (open,
prepare or stop, show in folder, remove), showing a book in the file manager, and
the dialogs that add books and folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from .library_source import LibraryEntry

if TYPE_CHECKING:
    from .library_window import LibraryWindow

translate = QCoreApplication.translate  # the window's context: one translation for it


def context_menu(win: LibraryWindow, entries: list[LibraryEntry]) -> QMenu:
    """What a right click on these cards of `win` offers."""
    menu = QMenu(win)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if len(entries) == 1:
        entry = entries[0]
        menu.addAction(
            translate("LibraryWindow", "Open"),
            lambda: win.openRequested.emit(entry.path, entry.page),
        )
    if entries and all(win.preparer.is_preparing(e.path) for e in entries):
        menu.addAction(
            translate("LibraryWindow", "Stop preparing"), lambda: win.prepare_entries(entries)
        )
    elif not all(e.offline_ready for e in entries):
        menu.addAction(
            translate("LibraryWindow", "Prepare for offline"), lambda: win.prepare_entries(entries)
        )
    if len(entries) == 1:
        menu.addAction(
            translate("LibraryWindow", "Show in folder"), lambda: show_in_folder(win, entries[0])
        )
    menu.addSeparator()
    menu.addAction(translate("LibraryWindow", "Remove from library"), lambda: win.remove(entries))
    return menu


def add_file_dialog(parent: QWidget, add: Callable[[list[str]], None]) -> None:
    """The file dialog for books; `add` gets the files chosen."""
    dialog = QFileDialog(
        parent,
        translate("LibraryWindow", "Add books"),
        filter=translate("LibraryWindow", "Books")
        + " (*.cbz *.zip *.cbr *.rar *.cb7 *.7z *.cbt *.tar *.pdf *.xml);;"
        + translate("LibraryWindow", "All files")
        + " (*)",
    )
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.filesSelected.connect(add)
    dialog.open()


def add_folder_dialog(parent: QWidget, add: Callable[[list[str]], None]) -> None:
    """The folder dialog for a book of images; `add` gets the folder chosen."""
    dialog = QFileDialog(parent, translate("LibraryWindow", "Add a folder of images"))
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.fileSelected.connect(lambda path: add([path]))
    dialog.open()


def show_in_folder(parent: QObject, entry: LibraryEntry) -> None:
    """The file manager on the book's folder, the book selected where the file
    manager offers that (freedesktop `FileManager1.ShowItems` on the session bus,
    asked without waiting); else the folder opened as any folder is."""
    folder = QUrl.fromLocalFile(str(Path(entry.path).parent))
    if not show_items(parent, QUrl.fromLocalFile(entry.path).toString(), folder):
        QDesktopServices.openUrl(folder)


def show_items(parent: QObject, uri: str, folder: QUrl) -> bool:
    """Ask the session's file manager to show `uri` selected; False when there is no
    session bus (the caller opens `folder` instead, as it does if the call fails)."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    message = QDBusMessage.createMethodCall(
        "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1", "ShowItems",
    )  # fmt: skip
    message.setArguments([[uri], ""])
    watcher = QDBusPendingCallWatcher(bus.asyncCall(message, 5000), parent)

    def answered(call: QDBusPendingCallWatcher) -> None:
        if call.isError():  # no file manager offers it: open the folder instead
            QDesktopServices.openUrl(folder)
        call.deleteLater()

    watcher.finished.connect(answered)
    return True
