"""`m2m-reader edit BOOK ...`: a person's edits of the analysis, kept across re-runs.

Numbers are the ones `analyze` prints: scenes and pages counted from 1.
"""

from __future__ import annotations

import argparse
import json

from ..engine.analysis.edits import EditStore
from ..engine.analysis.pipeline import Analyzer
from ..engine.core.errors import M2MError
from . import _options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "edit",
        help="edit a scene's directive, a page's caption or the scene boundaries",
        description="Edits override the computed records and survive re-runs; only what "
        "depends on an edit is made again. Scenes and pages count from 1.",
    )
    _options.add_book(p)
    p.add_argument("what", choices=("directive", "caption", "scenes", "show", "clear"))
    p.add_argument(
        "number",
        nargs="?",
        help="directive: the scene number; caption: the page number; "
        "scenes: first pages of the scenes, e.g. 1,6,11",
    )
    p.add_argument("text", nargs="?", help="the new text; omit it to remove that edit")
    p.set_defaults(func=run)


def _int(value: str | None, what: str) -> int:
    try:
        n = int(value or "")
    except ValueError:
        raise M2MError(f"{what} must be a number counted from 1, not {value!r}") from None
    if n < 1:
        raise M2MError(f"{what} must be a number counted from 1, not {n}")
    return n


def run(args: argparse.Namespace) -> int:
    settings = _options.settings_from(args)
    with _options.book_from(args, settings) as book:
        edits = EditStore(book.fingerprint)
        n = len(book)
        if args.what == "show":
            print(
                json.dumps(edits.all(), ensure_ascii=False, indent=1) if edits.all() else "no edits"
            )
        elif args.what == "clear":
            edits.clear()
            print(f"removed every edit of {book.title}")
        elif args.what == "scenes":
            if not args.number:
                edits.set_scenes(None)
                print("scene boundaries: computed again")
                return 0
            starts = [_int(x.strip(), "a scene's first page") - 1 for x in args.number.split(",")]
            if any(s >= n for s in starts):
                raise M2MError(f"{book.title} has {n} pages")
            edits.set_scenes(starts)
            print(
                f"scenes start on pages {', '.join(str(s + 1) for s in sorted(set(starts) | {0}))}"
            )
        elif args.what == "caption":
            page = _int(args.number, "the page")
            if page > n:
                raise M2MError(f"{book.title} has {n} pages")
            edits.set_caption(page - 1, args.text)
            print(f"page {page}: caption {'set' if args.text else 'computed again'}")
        else:
            number = _int(args.number, "the scene")
            analyzer = Analyzer(book, store=_options.store_from(args, settings), edits=edits)
            ranges = analyzer.scenes()[0].ranges(n)
            if number > len(ranges):
                raise M2MError(f"{book.title} has {len(ranges)} scenes")
            first, last = ranges[number - 1]
            edits.set_directive(first, last, args.text)
            print(
                f"scene {number} (pages {first + 1}-{last + 1}): directive "
                f"{'set' if args.text else 'computed again'}"
            )
    return 0
