"""`m2m-reader play BOOK`: a headless reading session in the terminal.

Right/Down/Space/PageDown/n turn forward, Left/Up/PageUp/p/Backspace turn back,
Home/End jump to the first/last page, a number then Enter jumps to that page, q quits.
("Forward" is the book's reading order; the arrows do not flip for right-to-left
books, since a terminal has no page to point at.) The screen shows the page, its
scene, its caption and what plays; the music plays and crossfades as pages turn.
The terminal goes into raw mode (termios) for the session and is restored on exit.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import threading
from typing import Any, TextIO

from ..engine.api import EngineAPI
from ..engine.books.model import Book
from ..engine.core import events as ev
from ..engine.core.errors import M2MError
from . import _options

KEYS_FORWARD = {"\x1b[C", "\x1b[B", " ", "\x1b[6~", "n"}
KEYS_BACK = {"\x1b[D", "\x1b[A", "\x1b[5~", "p", "\x7f"}
KEYS_HOME = {"\x1b[H", "\x1b[1~", "g"}
KEYS_END = {"\x1b[F", "\x1b[4~", "G"}


class NotATerminal(M2MError):
    """`play` needs a terminal to read keys from."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "play",
        help="read a book in the terminal with its live soundtrack",
        description="Read a book in the terminal: arrow keys or space turn pages, q quits; "
        "the soundtrack plays and crossfades as you read.",
    )
    _options.add_book(parser)
    _options.add_backends(parser, music=True)
    parser.add_argument(
        "--device",
        metavar="OUTPUT",
        help="the sound output: an index, a "
        "name or a part of it, or a host API such as JACK (see "
        "`m2m-reader devices`); default: the audio_device setting",
    )
    parser.add_argument("--page", type=int, default=1, help="page to start on (1-based)")
    parser.set_defaults(func=run)


class Session:
    """The state a terminal reading shows; redrawn after every key and event."""

    def __init__(self, engine: EngineAPI, book: Book, out: TextIO) -> None:
        self.engine, self.book, self.out = engine, book, out
        self.status = ""
        self.typed = ""
        self._lock = threading.Lock()

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.BackendFallback):
            self.status = f"{event.stage}: {event.backend} unavailable, using {event.fallback}"
        elif isinstance(event, ev.EngineError):
            self.status = event.message
        elif isinstance(event, ev.CueReady) and event.page == self.engine.cursor:
            self.draw()
        elif isinstance(event, ev.Progress):
            if event.done in (event.total, 1) or event.done % 8 == 0:
                self.draw()

    def key(self, key: str) -> bool:
        """Handle one key; False means quit."""
        n, page = len(self.book), self.engine.cursor
        if key in ("q", "Q", "\x03", "\x1b"):
            return False
        if key.isdigit():
            self.typed += key
        elif key in ("\r", "\n") and self.typed:
            self.engine.set_cursor(min(n, max(1, int(self.typed))) - 1, "jump")
            self.typed = ""
        elif key in KEYS_FORWARD and page + 1 < n:
            self.engine.set_cursor(page + 1, "turn")
        elif key in KEYS_BACK and page > 0:
            self.engine.set_cursor(page - 1, "turn")
        elif key in KEYS_HOME:
            self.engine.set_cursor(0, "jump")
        elif key in KEYS_END:
            self.engine.set_cursor(n - 1, "jump")
        self.draw()
        return True

    def lines(self) -> list[str]:
        page = self.engine.cursor
        info = self.engine.page_info(page)
        cue = self.engine.cue(page)
        ready = len(self.engine.ready_pages())
        lines = [f"{self.book.title} — page {page + 1} of {len(self.book)} ({self.book.direction})"]
        if info is None:
            lines += ["scene:    (reading the page…)", "caption:  …"]
        else:
            lines += [
                f"scene:    {info.scene + 1} (pages {info.first + 1}–{info.last + 1})",
                f"caption:  {info.result.caption}",
            ]
        if cue is None:
            lines.append("playing:  the previous music carries on (this page's is being made)")
        else:
            plan = cue.plan
            lines.append(
                f"playing:  {cue.backend}: {plan.style}, {plan.tempo:.0f} bpm, {plan.key} {plan.mode}, "
                f"{', '.join(plan.instruments)}"
            )
        lines.append(f"ready:    music for {ready} of {len(self.book)} pages")
        player = self.engine.player
        if player is None or not player.playing:
            lines.append(
                "sound:    off" + (f" ({player.message})" if player and player.message else "")
            )
        if self.status:
            lines.append(f"note:     {self.status}")
        lines.append("keys:     → ␣ next · ← previous · Home/End · number+Enter jump · q quit")
        if self.typed:
            lines.append(f"go to:    {self.typed}")
        return lines

    def draw(self) -> None:
        with self._lock:
            width = (
                max(40, os.get_terminal_size(self.out.fileno()).columns)
                if self.out.isatty()
                else 100
            )
            text = "\r\n".join(line[: width - 1] for line in self.lines())
            self.out.write("\x1b[H\x1b[2J" + text + "\r\n")
            self.out.flush()


def read_key(fd: int) -> str:
    """One key press; escape sequences (arrows, Home, PageUp...) come whole."""
    data = os.read(fd, 1)
    if data == b"\x1b":
        while select.select([fd], [], [], 0.03)[0]:
            data += os.read(fd, 1)
            if data[-1:].isalpha() or data[-1:] == b"~":
                break
    return data.decode("utf-8", "replace")


def run(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NotATerminal(
            "play needs an interactive terminal to read keys from; to write the soundtrack "
            "to a file use `m2m-reader export`."
        )
    import termios
    import tty

    from ..engine.session.engine import Engine

    settings = _options.settings_from(args)
    book = _options.book_from(args, settings)
    session_box: list[Session] = []
    engine = Engine(
        settings,
        store=_options.store_from(args, settings),
        on_event=lambda e: session_box[0].on_event(e) if session_box else None,
        audio=False,  # started below, on the chosen device
        music_process=True,
    )
    device: int | str | None = args.device
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    engine.start_audio(device)
    session = Session(engine, book, sys.stdout)
    session_box.append(session)
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        sys.stdout.write("\x1b[?25l")  # hide the cursor
        engine.open(book, max(0, min(len(book) - 1, args.page - 1)))
        session.draw()
        while session.key(read_key(fd)):
            pass
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        sys.stdout.write("\x1b[?25h\n")
        sys.stdout.flush()
        engine.close()
    return 0
