"""`m2m-reader analyze BOOK`: M2M-Gen's analysis, printed readably and written as JSON."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from ..engine.analysis.edits import EditStore
from ..engine.analysis.emotions import top
from ..engine.analysis.pipeline import Analyzer
from ..engine.analysis.records import MODES, Analysis
from ..engine.core.atomic import write_text
from ..engine.core.errors import M2MError
from . import _options
from ._progress import TerminalProgress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="find scenes, emotions, directives and captions",
        description="Analyse a book as M2M-Gen does and print a summary.",
    )
    _options.add_book(p)
    p.add_argument(
        "--mode",
        choices=MODES,
        default="scene",
        help="scene: M2M-Gen; page: the baseline, each page alone; "
        "section: manga2music's two-stage prompt over groups of pages",
    )
    p.add_argument("-o", "--output", type=Path, help="write the analysis JSON here")
    p.add_argument(
        "--records",
        type=Path,
        metavar="DIR",
        help="also write one JSON record file per stage into DIR",
    )
    p.add_argument("--captions", action="store_true", help="print every page's caption too")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="with --llm openai: estimate the calls and tokens, spend nothing",
    )
    _options.add_backends(p)
    p.set_defaults(func=run)


def summary(analysis: Analysis, captions: bool = False) -> str:
    out = [
        f"{analysis.title}: {analysis.n_pages} pages, {len(analysis.scenes)} "
        f"{'scene' if analysis.mode == 'scene' else analysis.mode}"
        f"{'' if len(analysis.scenes) == 1 else 's'} "
        f"(mode {analysis.mode}; text {analysis.backends.get('text')}, "
        f"emotions {analysis.backends.get('emotions')})"
    ]
    for s in analysis.scenes:
        moods = ", ".join(f"{e} {round(100 * v)}%" for e, v in top(s.emotions, 3) if v >= 0.05)
        made = ", ".join(sorted(set(s.backends.values())))
        head = (
            f"\nScene {s.index + 1}  pages {s.first_page + 1}-{s.last_page + 1}  {moods}  [{made}]"
        )
        out.append(head)
        if s.reason:
            out.append(f"  why: {s.reason}")
        out.append(textwrap.fill(s.directive, 96, initial_indent="  ", subsequent_indent="  "))
        if captions:
            for p in s.pages:
                out.append(
                    textwrap.fill(
                        f"p{p.index + 1}: {p.caption}",
                        96,
                        initial_indent="    ",
                        subsequent_indent="        ",
                    )
                )
    return "\n".join(out)


def write_records(analyzer: Analyzer, analysis: Analysis, folder: Path) -> None:
    """One readable file per stage: transcript, emotions, scenes, directives, captions."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(analyzer.book)
    records = {
        "transcript": [analyzer.transcript(i).to_dict() for i in range(n)],
        "emotions": [{"page": i, **_emo(analyzer, i)} for i in range(n)],
        "scenes": [
            {
                "first_page": s.first_page,
                "last_page": s.last_page,
                "reason": s.reason,
                "backend": s.backends.get("scenes", s.backends.get("section", "")),
            }
            for s in analysis.scenes
        ],
        "directives": [
            {
                "first_page": s.first_page,
                "last_page": s.last_page,
                "directive": s.directive,
                "backends": s.backends,
                "edited": s.edited,
            }
            for s in analysis.scenes
        ],
        "captions": [
            {
                "page": p.index,
                "caption": p.caption,
                "backend": p.backends.get("caption"),
                "edited": "caption" in p.edited,
            }
            for s in analysis.scenes
            for p in s.pages
        ],
    }
    for stage, items in records.items():
        blob = {
            "stage": stage,
            "version": 1,
            "book": analysis.title,
            "mode": analysis.mode,
            "items": items,
        }
        write_text(
            folder / f"{stage}.json", json.dumps(blob, ensure_ascii=False, indent=1), public=True
        )


def cost_line(head: str, cost: dict) -> str:
    """'LLM spent: 53 calls, 41,200 tokens (...); by stage: caption 24 calls, ...'."""
    usd = cost.get("usd")
    money = f", about ${usd:.2f}" if isinstance(usd, int | float) else ""
    total = cost.get(
        "total_tokens", cost.get("prompt_tokens", 0) + cost.get("completion_tokens", 0)
    )
    stages = ", ".join(
        f"{k} {v.get('calls', 0)} calls" for k, v in cost.get("by_stage", {}).items()
    )
    return (
        f"{head}: {cost.get('calls', 0)} calls, {total:,} tokens "
        f"({cost.get('prompt_tokens', 0):,} in, {cost.get('completion_tokens', 0):,} out){money}"
        + (f"; by stage: {stages}" if stages else "")
    )


def _emo(analyzer: Analyzer, page: int) -> dict:
    e, by, edited = analyzer.page_emotions(page)
    return {
        "profile": e.profile,
        "faces": e.faces,
        "evidence": e.evidence,
        "backend": by,
        "edited": edited,
    }


def check_output(path: Path) -> None:
    """Fail before any work when the output cannot be written."""
    parent = path.resolve().parent
    if not parent.is_dir():
        raise M2MError(f"{path}: the folder {parent} does not exist")
    if path.is_dir():
        raise M2MError(f"{path}: is a folder, not a file")
    import os

    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise M2MError(f"{path}: cannot write there (permission denied)")


def run(args: argparse.Namespace) -> int:
    from ..engine.books import check_book_path
    from ..engine.books.readable import require_readable_page, unreadable_lines

    if args.output:
        check_output(args.output)
    check_book_path(args.book)
    settings = _options.settings_from(args)
    from ..engine.backends.choice import make_emotions, make_text

    text = make_text(settings, _options.on_fallback)
    emotions = make_emotions(settings, _options.on_fallback)
    book = _options.book_from(args, settings)
    if args.dry_run:
        from ..engine.llm import LLMConfig, estimate_tokens

        with book:
            config = getattr(text, "config", None) or LLMConfig.from_env(model=settings.llm_model)
            print(
                cost_line(
                    f"{book.title}, mode {args.mode}: would spend",
                    estimate_tokens(book, args.mode, config),
                )
            )
        return 0
    with book:
        require_readable_page(book)  # before any work (or any LLM spending)
        analyzer = Analyzer(
            book,
            text=text,
            emotions=emotions,
            store=_options.store_from(args, settings),
            edits=EditStore(book.fingerprint),
            on_fallback=_options.record_fallback,
        )
        bar = TerminalProgress("analysing")
        try:
            analysis = analyzer.run(args.mode, progress=bar)
        finally:
            bar.close()
        print(summary(analysis, args.captions))
        damaged = [i for i in range(len(book)) if analyzer.stats(i).damaged]
        for line in unreadable_lines(book.unreadable(check=damaged)):
            _options.warn(f"unreadable: {line}")
        cost = getattr(text, "cost", None)
        if cost is not None:
            print("\n" + cost_line("LLM spent", cost))
        if args.output:
            text_out = json.dumps(analysis.to_dict(), ensure_ascii=False, indent=1)
            write_text(args.output, text_out, public=True)  # the usual permissions, like audio
            print(f"\nwrote {args.output}")
        if args.records:
            write_records(analyzer, analysis, args.records)
            print(f"wrote records to {args.records}/")
    return 0
