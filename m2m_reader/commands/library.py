"""`m2m-reader library add PATH | ls | prepare ID | remove ID`: the books a person added.

`prepare` computes a book's whole soundtrack into the cache, with a progress bar, so
it can be read offline with its music.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..engine.library import Library, LibraryBook, prepare_book
from . import _options
from ._progress import TerminalProgress


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "library",
        help="add, list and prepare the books in your library",
        description="The books you added, with reading progress and how much of each "
        "soundtrack is ready offline.",
    )
    sub = parser.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a book (folder, CBZ, CBR, PDF or Manga109)")
    add.add_argument("path", nargs="+")
    add.set_defaults(func=run_add)
    ls = sub.add_parser("ls", help="list the books")
    ls.set_defaults(func=run_ls)
    prepare = sub.add_parser(
        "prepare", help="compute a book's whole soundtrack for offline reading"
    )
    prepare.add_argument("id", type=int)
    _options.add_backends(prepare, music=True)
    prepare.set_defaults(func=run_prepare)
    remove = sub.add_parser("remove", help="forget a book (its file is left alone)")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=run_remove)


def describe(b: LibraryBook) -> str:
    ready = "offline ready" if b.offline_ready else f"music {b.cached_fraction:4.0%}"
    return f"{b.id:>4}  {b.title[:40]:<40}  page {b.page + 1:>3}/{b.pages:<3}  {ready}  {b.path}"


def run_add(args: argparse.Namespace) -> int:
    lib = Library()
    for path in args.path:
        print("added", describe(lib.add(path)))
    return 0


def run_ls(args: argparse.Namespace) -> int:
    books = Library().books()
    for b in books:
        print(describe(b))
    if not books:
        print("the library is empty; add a book with `m2m-reader library add PATH`")
    return 0


def run_prepare(args: argparse.Namespace) -> int:
    from ..engine.session.engine import Engine

    lib = Library()
    entry = lib.get(args.id)
    settings = _options.settings_from(args)
    engine = Engine(settings, store=_options.store_from(args, settings), audio=False)
    bar = TerminalProgress(f"preparing {entry.title[:30]}")
    try:
        done = prepare_book(lib, entry.id, engine, progress=lambda d, t: bar(d, t, "soundtrack"))
    finally:
        bar.close()
        engine.close()
    unkept = getattr(engine.store, "write_error", None)
    if unkept is not None and done < entry.pages:  # made, but the cache could not keep it
        where = getattr(engine.store, "root", "the cache folder")  # a disk cache says where
        _options.warn(
            f"music for {done} of {entry.pages} pages of {entry.title} is kept for offline "
            f"reading: the cache at {where} cannot be written ({unkept})"
        )
        return 1
    print(f"music ready for {done} of {entry.pages} pages of {entry.title}")
    return 0 if done >= entry.pages else 1


def run_remove(args: argparse.Namespace) -> int:
    lib = Library()
    entry = lib.get(args.id)
    lib.remove(entry.id)
    print(f"removed {entry.title} from the library (the file is left alone)")
    return 0
