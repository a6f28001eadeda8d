"""One reader per person and library: a second launch hands its book to the first.

The first `m2m-reader` listens on a local socket (`QLocalServer`) named after the user
and the data folder, so two people, or one person with two data folders, each get
their own. A later `m2m-reader BOOK` connects, sends one JSON line
(`{"open": "/abs/path"}` or `{"open": null}` to just raise the window), waits for the
running one's "ok" and exits; the running window opens the book. A socket file left by
a killed reader answers nobody: it is removed and the new reader listens in its place.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from ..engine.core import paths

log = logging.getLogger(__name__)

# With no reader listening a connection fails at once; a reader that is listening
# accepts within these even on a loaded machine (its event loop may be busy a while).
CONNECT_MS = 2000
REPLY_MS = 5000
MAX_MESSAGE = 64 * 1024


def server_name(data_dir: Path | None = None) -> str:
    """The socket's name for this user and data folder (short: Unix paths are limited)."""
    folder = str(Path(data_dir or paths.data_dir()).expanduser().resolve())
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    digest = hashlib.sha256(f"{user}\0{folder}".encode()).hexdigest()[:16]
    return f"m2m-reader-{digest}"


def send_to_running(name: str, book: str | None) -> bool:
    """Ask the reader listening on `name` to open `book` (None: show itself).

    Returns True when a running reader has the message, False when none listens (then
    the caller starts its own). A reader that is listening but slow to say "ok" still
    has it: it reads the message when its event loop comes round, so no second app
    starts. Blocks for at most about CONNECT_MS + REPLY_MS."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_MS):
        return False
    message = {"open": str(Path(book).expanduser().resolve()) if book else None}
    socket.write(json.dumps(message).encode() + b"\n")
    socket.flush()
    while socket.bytesToWrite() > 0 and socket.waitForBytesWritten(REPLY_MS):
        pass
    if socket.bytesToWrite() > 0:
        return False
    reply = b""
    while b"\n" not in reply and socket.waitForReadyRead(REPLY_MS):
        reply += bytes(socket.readAll().data())
    if reply.strip() != b"ok":
        log.warning("the running m2m-reader did not confirm it got %s", book or "the wake-up")
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """The running reader's end: emits `openRequested(path)` ("" to show itself)."""

    openRequested = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Listen on the name; a stale socket file (no one answers) is removed first.
        False when another reader listens there (the caller should hand over)."""
        if self.server.listen(self.name):
            return True
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_MS):
            probe.disconnectFromServer()
            return False
        log.info("removing the stale reader socket %s", self.name)
        QLocalServer.removeServer(self.name)
        if self.server.listen(self.name):
            return True
        log.warning("cannot listen on %s (%s)", self.name, self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE:
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        self._buffers[socket] = b""
        try:
            message = json.loads(line)
            book = message.get("open") if isinstance(message, dict) else None
        except ValueError:
            socket.write(b"bad\n")
            socket.flush()
            return
        socket.write(b"ok\n")
        socket.flush()
        self.openRequested.emit(book if isinstance(book, str) else "")
