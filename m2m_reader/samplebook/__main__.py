"""Regenerate the sample book: ``python -m m2m_reader.samplebook OUT_ROOT``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .write import write_book


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m m2m_reader.samplebook", description=__doc__)
    parser.add_argument("root", type=Path, help="folder to write the Manga109-style book into")
    parser.add_argument(
        "--plain",
        choices=("en", "ja"),
        help="write the story as an unannotated CBZ (English, or Japanese lettered "
        "vertically) with its truth instead",
    )
    args = parser.parse_args(argv)
    try:
        if args.plain:
            from .unannotated import write_unannotated

            plain = write_unannotated(args.root, args.plain)
            print(
                f"wrote {plain['title']}.cbz: {len(plain['pages'])} spreads, "
                f"{len(plain['scenes'])} scenes, no annotations, into {args.root}"
            )
            return 0
        truth = write_book(args.root)
    except OSError as exc:
        print(
            f"could not write the sample book to {args.root}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    print(
        f"wrote {truth['title']}: {truth['pages']} spreads, {len(truth['scenes'])} scenes, "
        f"{len(truth['faces'])} faces into {args.root}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
