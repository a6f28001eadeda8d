"""The command line: `m2m-reader COMMAND ...`, or `m2m-reader [BOOK]` for the window.

Each command lives in `m2m_reader/commands/<name>.py` and exposes
`register(subparsers)`, which adds its parser and sets `func(args) -> int`.
Errors a person can act on (`M2MError`) print one line and exit 1; no traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import sys
from pathlib import Path

from . import __version__, runtime
from .engine.core.errors import M2MError

_DISK_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM}

# Command modules, in the order `--help` lists them. A module that fails to import
# (an optional dependency missing) leaves its command out with a note, not a crash.
COMMANDS = (
    "info",
    "analyze",
    "edit",
    "export",
    "batch",
    "play",
    "devices",
    "cache",
    "library",
    "models",
    "train",
    "eval",
    "evaluate",
    "gui",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="m2m-reader",
        description="A manga reader with a live, generated soundtrack.",
    )
    parser.add_argument("--version", action="version", version=f"m2m-reader {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"m2m_reader.commands.{name}")
        except ImportError as exc:
            if exc.name != f"m2m_reader.commands.{name}":  # else: a command not in this build
                _unavailable(sub, name, exc)
            continue
        module.register(sub)
    return parser


def _unavailable(sub: argparse._SubParsersAction, name: str, exc: ImportError) -> None:
    """A command whose module cannot load says why when it is used; the others still work."""
    missing = exc.name or str(exc)
    message = (
        f"the {name} command cannot start: {missing} is not installed "
        "(run: bash installer/setup.sh)"
    )
    p = sub.add_parser(name, help=f"(unavailable: {missing} missing)", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)

    def fail(args: argparse.Namespace) -> int:
        raise M2MError(message)

    p.set_defaults(func=fail)


def _looks_like_path(word: str) -> bool:
    """A word that names a file: it has a folder separator or an extension."""
    return "/" in word or "\\" in word or word.startswith("~") or bool(Path(word).suffix)


def _starts_offline(args: argparse.Namespace) -> bool:
    """A command offline from its start: `--offline` given, or the saved `offline`
    setting. Not the window: its engine follows the setting as the person changes it."""
    if args.command == "gui":
        return False
    if getattr(args, "offline", False):
        return True
    from .engine.core import settings

    return settings.load().offline


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `m2m-reader` alone opens the library; `m2m-reader BOOK` opens the reader.
    known = set(COMMANDS) | {"-h", "--help", "--version"}
    flags = [a for a in argv if a.startswith("-")]
    positional = [a for a in argv if not a.startswith("-")]
    asks_help = bool({"-h", "--help", "--version"} & set(flags))
    if positional and positional[0] not in known:
        if Path(positional[0]).expanduser().exists():
            argv = ["gui", *flags, *positional]
        elif not asks_help and _looks_like_path(positional[0]):  # a mistyped book
            print(f"m2m-reader: error: no such file: {positional[0]}", file=sys.stderr)
            return 1
    elif not positional and not asks_help:
        argv = ["gui", *flags]
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with runtime.program(offline=_starts_offline(args)):
            return int(args.func(args) or 0)
    except M2MError as exc:
        from .engine.backends.choice import explain  # a backend's longer explanation too

        print(f"m2m-reader: error: {explain(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the output was piped into `head` or similar
        sys.stderr.close()
        return 0
    except OSError as exc:
        if exc.errno not in _DISK_ERRNOS:
            raise
        # A folder or file that could not be made or written, wherever it happened: the
        # disk is full or read-only, or permission is denied. One sentence, no traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"m2m-reader: error: {where}{(exc.strerror or str(exc)).lower()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("m2m-reader: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
