"""The whole book in one of the analysis modes, for `Analyzer.run`.

- scene (M2M-Gen): scene boundaries, then a directive per scene and a caption per page;
- page (the baseline): each page described alone, then captioned from that;
- section (manga2music): one analysis and one music paragraph per group of pages.

A text backend that takes several requests at once (`concurrency`) gets that many:
page transcripts, directives, captions, baseline pages and sections each run on a
pool of that size, in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

from ..core.cancel import NEVER, CancelToken
from .emotions import Profile
from .record_cache import scene_inputs
from .records import Analysis, PageInput, PageResult, SceneInput, SceneResult, ScenesResult

if TYPE_CHECKING:
    from .pipeline import Analyzer

Progress = Callable[[int, int, str], None]


def run_book(an: Analyzer, mode: str, report: Progress, cancel: CancelToken) -> Analysis:
    """The whole book in `mode` (see `Analyzer.run`)."""
    n = len(an.book)
    # Transcripts the text backend makes go first, several at once; then the
    # page-level stages in order, so progress moves page by page.
    by_text = [i for i in range(n) if not an._book_transcript(i)]
    reported = 0
    if workers(an) > 1 and len(by_text) > 1:

        def read(k: int) -> None:
            nonlocal reported
            reported = k
            report(k, 2 * n, f"reading page {k}")

        each(an, lambda i: an.transcript(i, cancel), by_text, cancel, read)
    for i in range(n):
        cancel.check()
        an.page_emotions(i, cancel)
        an.stats(i)
        if i + 1 > reported:
            report(i + 1, 2 * n, f"reading page {i + 1}")
    scenes: list[SceneResult] = []
    provisional = False
    if mode == "scene":
        result, by, _ = an.scenes(cancel=cancel)
        provisional = result.provisional
        inputs = scene_list(an, result, cancel)
        directives = each(an, lambda s: an.directive(s, cancel), inputs, cancel)
        jobs = [
            (i, s, text)
            for s, (text, _, _) in zip(inputs, directives, strict=True)
            for i in range(s.first_page, s.last_page + 1)
        ]
        pages = each(
            an,
            lambda job: an.page_result(job[0], job[1], job[2], cancel),
            jobs,
            cancel,
            lambda k: report(n + k, 2 * n, f"captions: {k} of {n} pages"),
        )
        by_page = {p.index: p for p in pages}
        for s, (text, d_by, edited) in zip(inputs, directives, strict=True):
            scene = SceneResult(
                index=s.index,
                first_page=s.first_page,
                last_page=s.last_page,
                directive=text,
                emotions=s.emotions,
                reason=result.reasons.get(s.first_page, ""),
                backends={"directive": d_by, "scenes": by},
                edited=["directive"] if edited else [],
            )
            scene.pages = [by_page[i] for i in range(s.first_page, s.last_page + 1)]
            scenes.append(scene)
    elif mode == "page":
        scenes = each(
            an,
            lambda i: baseline_page(an, i, cancel),
            range(n),
            cancel,
            lambda k: report(n + k, 2 * n, f"pages: {k} of {n}"),
        )
    else:
        groups = [(idx, a) for idx, a in enumerate(range(0, n, an.section_pages))]
        scenes = each(
            an,
            lambda g: section(an, g[0], g[1], min(n, g[1] + an.section_pages) - 1, cancel),
            groups,
            cancel,
            lambda k: report(
                n + min(n, k * an.section_pages), 2 * n, f"sections: {k} of {len(groups)}"
            ),
        )
    report(2 * n, 2 * n, "done")
    return Analysis(
        title=an.book.title,
        n_pages=n,
        mode=mode,
        scenes=scenes,
        provisional=provisional,
        backends={"text": an.text.name, "emotions": an.emotions.name},
    )


def scene_list(an: Analyzer, result: ScenesResult, cancel: CancelToken = NEVER) -> list[SceneInput]:
    """The inputs of the book's scenes, each with the emotions of the scene before."""
    inputs: list[SceneInput] = []
    previous = None
    for idx, (a, b) in enumerate(result.ranges(len(an.book))):
        inputs.append(an.scene_input(idx, a, b, previous, cancel))
        previous = inputs[-1].emotions
    return inputs


def scene_result(
    an: Analyzer,
    index: int,
    first: int,
    last: int,
    previous: Profile | None,
    reason: str = "",
    cancel: CancelToken = NEVER,
) -> SceneResult:
    """One scene in M2M-Gen's mode: its directive and every page's caption."""
    scene = an.scene_input(index, first, last, previous, cancel)
    text, by, edited = an.directive(scene, cancel)
    result = SceneResult(
        index=index,
        first_page=first,
        last_page=last,
        directive=text,
        emotions=scene.emotions,
        reason=reason,
        backends={"directive": by},
        edited=["directive"] if edited else [],
    )
    for i in range(first, last + 1):
        result.pages.append(an.page_result(i, scene, text, cancel))
    return result


def workers(an: Analyzer) -> int:
    """How many records of the text backend to make at once (1 for the built-in)."""
    if an.text is an.builtin_text:
        return 1
    value = getattr(an.text, "concurrency", 1)
    return max(1, min(int(value), 32)) if isinstance(value, int) else 1


def each(
    an: Analyzer,
    work: Callable[[Any], Any],
    items: Any,
    cancel: CancelToken,
    done: Callable[[int], None] | None = None,
) -> list[Any]:
    """`[work(x) for x in items]`, `_workers()` at a time; `done(k)` after the k-th
    finishes (on this thread). The first error cancels what has not started."""
    items = list(items)
    count = min(workers(an), len(items))
    if count <= 1:
        out = []
        for x in items:
            cancel.check()
            out.append(work(x))
            if done:
                done(len(out))
        return out
    pool = ThreadPoolExecutor(count, thread_name_prefix="analysis")
    try:
        futures = [pool.submit(work, x) for x in items]
        for k, future in enumerate(as_completed(futures), 1):
            future.result()
            if done:
                done(k)
        return [f.result() for f in futures]
    finally:
        # On an error or Ctrl-C, what has not started is dropped; a request under
        # way ends within its timeout.
        pool.shutdown(wait=False, cancel_futures=True)


def baseline_page(an: Analyzer, i: int, cancel: CancelToken) -> SceneResult:
    """The baseline: each page described alone, then captioned from that description."""
    scene = an.scene_input(i, i, i, None, cancel)
    t = an.transcript(i, cancel)
    page_in = PageInput(index=i, scene=scene, lines=t.lines, emotions=scene.emotions, directive="")
    desc, by = an.record(
        "description",
        an.text,
        an.builtin_text,
        scene_inputs(scene),
        lambda b: b.page_description(an.book, page_in, cancel),
    )
    result = SceneResult(
        index=i,
        first_page=i,
        last_page=i,
        directive=desc,
        emotions=scene.emotions,
        reason="baseline: each page alone",
        backends={"description": by},
    )
    result.pages.append(an.page_result(i, scene, desc, cancel))
    return result


def section(an: Analyzer, idx: int, a: int, b: int, cancel: CancelToken) -> SceneResult:
    """manga2music: one analysis and one music paragraph for a group of pages."""
    scene = an.scene_input(idx, a, b, None, cancel)
    edited = an.edits.directive(a, b)
    data, by = an.record(
        "section",
        an.text,
        an.builtin_text,
        scene_inputs(scene),
        lambda be: list(be.section(an.book, scene, cancel)),
    )
    analysis, music = data
    music = edited or music
    result = SceneResult(
        index=idx,
        first_page=a,
        last_page=b,
        directive=music,
        emotions=scene.emotions,
        reason=analysis,
        backends={"section": "edit" if edited else by},
        edited=["directive"] if edited else [],
    )
    for i in range(a, b + 1):
        t = an.transcript(i, cancel)
        emo, emo_by, _ = an.page_emotions(i, cancel)
        cap = an.edits.caption(i)
        result.pages.append(
            PageResult(
                index=i,
                emotions=emo.profile,
                caption=cap or music,
                lines=t.lines,
                backends={
                    "emotions": emo_by,
                    "caption": "edit" if cap else result.backends["section"],
                },
                edited=["caption"] if cap else [],
            )
        )
    return result
