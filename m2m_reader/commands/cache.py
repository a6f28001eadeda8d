"""`m2m-reader cache ls|size|prune|clear`: look at and trim the computed-results cache.

The cache holds analysis records and music cues, content-addressed, in the user cache
folder (M2M_READER_CACHE_DIR overrides it). A person's edits and the library live in
the data folder and are never touched here.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..engine.core import settings as settings_mod
from ..engine.core.cache import DiskCache
from ..engine.core.errors import M2MError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cache",
        help="list, measure or prune the cache of analysis and music",
        description="The cache of computed analysis records and music cues.",
    )
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    ls = sub.add_parser("ls", help="list entries, least recently used first")
    ls.add_argument("--kind", choices=("json", "audio"), help="only this kind of entry")
    ls.set_defaults(func=run_ls)
    size = sub.add_parser("size", help="how much the cache holds, and its limit")
    size.set_defaults(func=run_size)
    prune = sub.add_parser("prune", help="delete least recently used entries down to a size")
    prune.add_argument(
        "--limit",
        type=float,
        metavar="MB",
        help="size to prune to (default: the cache_limit_mb setting)",
    )
    prune.set_defaults(func=run_prune)
    clear = sub.add_parser("clear", help="delete every entry")
    clear.set_defaults(func=run_clear)


def _cache() -> DiskCache:
    return DiskCache(limit_mb=settings_mod.load().cache_limit_mb)


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def run_ls(args: argparse.Namespace) -> int:
    cache = _cache()
    entries = [e for e in cache.entries() if args.kind in (None, e.kind)]
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.accessed))
        print(f"{e.key[:16]}  {e.kind:<5}  {human(e.size):>9}  {when}")
    print(f"{len(entries)} entries, {human(sum(e.size for e in entries))} in {cache.root}")
    return 0


def run_size(args: argparse.Namespace) -> int:
    cache = _cache()
    s = cache.stats()
    limit = human(s.limit_bytes) if s.limit_bytes else "none"
    print(
        f"{human(s.bytes)} in {s.entries} entries ({s.json_entries} records, "
        f"{s.audio_entries} cues); limit {limit}; {cache.root}"
    )
    return 0


def run_prune(args: argparse.Namespace) -> int:
    cache = _cache()
    if args.limit is not None and args.limit < 0:
        raise M2MError("--limit must be a size in MB, 0 or more.")
    limit = cache.limit_bytes if args.limit is None else int(args.limit * 1024 * 1024)
    freed = cache.prune(limit)
    print(f"freed {human(freed)}; the cache now holds {human(cache.size())} (limit {human(limit)})")
    return 0


def run_clear(args: argparse.Namespace) -> int:
    cache = _cache()
    before = cache.size()
    cache.clear()
    print(f"freed {human(before)}; the cache is empty")
    return 0
