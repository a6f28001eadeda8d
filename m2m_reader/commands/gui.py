"""`m2m-reader gui [BOOK]`: the desktop reader (also `m2m-reader` and `m2m-reader BOOK`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..engine.core.errors import M2MError
from . import _options


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gui",
        help="open the reader window (the library, or BOOK)",
        description="Open the desktop reader: the library, or the reader on BOOK. When "
        "m2m-reader already runs for this user and data folder, BOOK opens in its window.",
    )
    parser.add_argument("book", nargs="?", help="a book to open in the reader")
    _options.add_backends(parser, music=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.book and not Path(args.book).exists():
        raise M2MError(f"{args.book} does not exist.")
    try:
        from ..ui.app import run as run_app
    except ImportError as exc:
        raise M2MError(
            f"the reader window needs PySide6, which is not installed ({exc.name}); "
            "install m2m-reader[ui]."
        ) from None
    return run_app(args.book, _options.settings_from(args))
