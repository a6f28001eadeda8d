"""The evaluation as one self-contained HTML page: figures as inline SVG, tables, notes.

Nothing is linked: the plots are matplotlib SVG pasted into the page, so the file can be
mailed or archived on its own. `summary` is the same figures as plain JSON.
"""

from __future__ import annotations

import html
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .measures import Evaluation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

KIND_COLOURS = {"scene": "#c0392b", "page": "#2e86c1"}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")  # laid out when made: one drawing, not two
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(w: float = 9.0, h: float = 3.0) -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable
    return plt.subplots(figsize=(w, h), layout="constrained")


def _scene_lines(ax: Axes, ev: Evaluation) -> None:
    for p in ev.pages[1:]:
        prev = ev.pages[p.index - 1] if p.index - 1 < len(ev.pages) else None
        if prev is not None and prev.scene != p.scene:
            ax.axvline(p.index - 0.5, color="#888", lw=0.8, ls="--")


def mood_plot(ev: Evaluation) -> str:
    fig, axes = _figure(9, 4.2)
    fig.clf()
    axes = fig.subplots(2, 1, sharex=True)
    x = [p.index for p in ev.pages]
    for ax, what in zip(axes, ("arousal", "valence"), strict=True):
        ax.plot(
            x, [getattr(p, what) for p in ev.pages], "o-", label=f"music's {what}", color="#2e86c1"
        )
        ax.plot(x, [getattr(p, f"intended_{what}") for p in ev.pages], "s--",
                label="asked for (directive)", color="#e67e22", ms=3)  # fmt: skip
        if ev.truth is not None:
            for s, fit in zip(_true_scenes(ev), ev.truth.get("scene_fit", []), strict=False):
                from ..musiclib.pick import want_for

                w = want_for(s.get("mood", ""))
                val = w.arousal if what == "arousal" else w.valence
                ax.hlines(val, s["first_page"] - 0.4, s["last_page"] + 0.4, color="#27ae60", lw=3,
                          label="truth" if s is _true_scenes(ev)[0] else None)  # fmt: skip
                if what == "arousal":
                    ax.text(s["first_page"], 1.05, s.get("mood", ""), fontsize=7,
                            color="#27ae60" if fit.get("fits") else "#c0392b")  # fmt: skip
        _scene_lines(ax, ev)
        ax.set_ylim(-0.05, 1.15)
        ax.set_ylabel(what)
    axes[0].legend(fontsize=7, loc="lower right")
    axes[1].set_xlabel("page (dashed: predicted scene changes)")
    return _svg(fig)


def _true_scenes(ev: Evaluation) -> list[dict[str, Any]]:
    return (ev.truth or {}).get("_scenes", [])


def loudness_plot(ev: Evaluation) -> str:
    fig, ax = _figure()
    if ev.loudness_curve:
        t, v = zip(*ev.loudness_curve, strict=True)
        ax.plot(t, v, color="#2e86c1", label="short-term (3 s)")
    if math.isfinite(ev.integrated_lufs):
        ax.axhline(
            ev.integrated_lufs, color="#e67e22", label=f"integrated {ev.integrated_lufs:.1f} LUFS"
        )
    for s in ev.seams:
        ax.axvline(s.at_s, color=KIND_COLOURS[s.kind], lw=0.6, alpha=0.5)
    ax.set_xlabel("seconds (red: scene changes, blue: page turns)")
    ax.set_ylabel("LUFS")
    ax.legend(fontsize=7)
    return _svg(fig)


def plan_plot(ev: Evaluation) -> str:
    fig, ax = _figure()
    x = [p.index for p in ev.pages]
    ax.plot(
        x, [p.plan_tempo or np.nan for p in ev.pages], "s--", color="#e67e22", label="plan tempo"
    )
    ax.plot(x, [p.tempo or np.nan for p in ev.pages], "o", color="#2e86c1", label="tempo found")
    colours = {"same": "#27ae60", "relative": "#f1c40f", "other": "#c0392b", "": "#bbb"}
    top = max([p.tempo for p in ev.pages] + [p.plan_tempo or 0 for p in ev.pages] + [60]) * 1.1
    ax.scatter(x, [top] * len(x), c=[colours[p.key_match] for p in ev.pages], marker="s", s=40)
    ax.set_ylim(0, top * 1.08)
    ax.set_xlabel(
        "page (squares on top: key found vs plan; green same, yellow relative, red other)"
    )
    ax.set_ylabel("BPM")
    ax.legend(fontsize=7, loc="lower right")
    return _svg(fig)


def seams_plot(ev: Evaluation) -> str:
    fig, _ = _figure(9, 4.2)
    fig.clf()
    axes = fig.subplots(3, 1, sharex=True)
    x = [s.page for s in ev.seams]
    c = [KIND_COLOURS[s.kind] for s in ev.seams]
    for ax, (name, label) in zip(axes, (("level_step_db", "level step dB"), ("spectral_distance",
                                  "spectral dist."), ("chroma_distance", "chroma dist.")), strict=True):  # fmt: skip
        ax.bar(x, [getattr(s, name) for s in ev.seams], color=c)
        ax.set_ylabel(label, fontsize=8)
    axes[-1].set_xlabel("page that starts at the seam (red: scene change, blue: page turn)")
    return _svg(fig)


def similarity_plot(ev: Evaluation) -> str:
    fig, ax = _figure(4.5, 4.0)
    if ev.similarity.size:
        im = ax.imshow(
            ev.similarity, vmin=max(0.0, float(ev.similarity.min())), vmax=1, cmap="viridis"
        )
        fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xlabel("page")
    ax.set_ylabel("page")
    return _svg(fig)


def clap_plot(ev: Evaluation) -> str:
    fig, ax = _figure(9, 2.4)
    ax.bar([p.index for p in ev.pages], [p.clap or 0 for p in ev.pages], color="#8e44ad")
    ax.set_xlabel("page")
    ax.set_ylabel("CLAP cosine")
    return _svg(fig)


def _table(rows: list[list[Any]], head: list[str]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>")
    return "".join(out) + "</table>"


def summary(ev: Evaluation) -> dict[str, Any]:
    """The report's figures as JSON-ready values."""

    def mean(xs: list[float]) -> float | None:
        return round(float(np.mean(xs)), 4) if xs else None

    by_kind = {k: [s for s in ev.seams if s.kind == k] for k in ("scene", "page")}
    out: dict[str, Any] = {
        "title": ev.title,
        "duration_s": round(ev.duration_s, 2),
        "integrated_lufs": round(ev.integrated_lufs, 2) if math.isfinite(ev.integrated_lufs) else None,
        "loudness_range_lu": round(ev.lra, 2),
        "tempo_match_share": mean([float(p.tempo_match) for p in ev.pages if p.plan_tempo]),
        "key_same_share": mean([float(p.key_match == "same") for p in ev.pages if p.key_match]),
        "key_same_or_relative_share": mean([float(p.key_match in ("same", "relative")) for p in ev.pages if p.key_match]),
        "seams": {k: {"count": len(v), "mean_abs_level_step_db": mean([abs(s.level_step_db) for s in v]),
                      "mean_spectral_distance": mean([s.spectral_distance for s in v]),
                      "mean_chroma_distance": mean([s.chroma_distance for s in v]),
                      "max_click_ratio": max([s.click_ratio for s in v], default=None)}
                  for k, v in by_kind.items()},
        "repetition": ev.repetition,
        "clap_mean": mean([p.clap for p in ev.pages if p.clap is not None]),
        "fad": None if ev.fad is None else round(ev.fad, 4),
        "notes": ev.notes,
        "timings": {k: round(v, 3) for k, v in ev.timings.items()},
    }  # fmt: skip
    if ev.truth is not None:
        out["truth"] = {k: v for k, v in ev.truth.items() if not k.startswith("_")}
    return out


CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}td,th{border:1px solid #ddd;
padding:2px 6px;text-align:right}th{background:#f4f4f4}.note{color:#666;font-size:.9em}
svg{max-width:100%;height:auto}"""


def render(ev: Evaluation) -> str:
    s = summary(ev)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Soundtrack report: "
             f"{html.escape(ev.title)}</title><style>{CSS}</style></head><body>",
             f"<h1>Soundtrack report: {html.escape(ev.title)}</h1>"]  # fmt: skip
    facts = [
        ["duration", f"{ev.duration_s:.1f} s"],
        ["integrated loudness", f"{s['integrated_lufs']} LUFS"],
        ["loudness range", f"{ev.lra:.1f} LU"],
        ["tempo as planned", _pct(s["tempo_match_share"])],
        ["key as planned (same / same or relative)",
         f"{_pct(s['key_same_share'])} / {_pct(s['key_same_or_relative_share'])}"],
    ]  # fmt: skip
    if ev.truth is not None:
        b = ev.truth["boundaries"]
        facts += [
            ["scene boundaries P / R / F1", f"{b['precision']:.2f} / {b['recall']:.2f} / {b['f1']:.2f}"],
            ["page emotion accuracy", _pct(ev.truth.get("emotion_accuracy"))],
            ["scenes whose music fits their mood",
             f"{ev.truth['scenes_fitting']} of {len(ev.truth['scene_fit'])}"],
        ]  # fmt: skip
    if s["clap_mean"] is not None:
        facts.append(["CLAP text–audio agreement (mean cosine)", f"{s['clap_mean']:.3f}"])
    if ev.fad is not None:
        facts.append(["FAD against the reference", f"{ev.fad:.3f}"])
    parts.append(_table(facts, ["figure", "value"]))
    for n in ev.notes:
        parts.append(f"<p class='note'>{html.escape(n)}</p>")
    parts += ["<h2>Mood timeline</h2>", mood_plot(ev)]
    if ev.truth is not None:
        rows = [[f["scene"] + 1, f["mood"], f["arousal"], f["valence"], "yes" if f["fits"] else "no",
                 ", ".join(f["tracks"])] for f in ev.truth["scene_fit"]]  # fmt: skip
        parts.append(
            _table(rows, ["true scene", "mood", "music arousal", "music valence", "fits", "tracks"])
        )
    parts += [
        "<h2>Loudness</h2>",
        loudness_plot(ev),
        "<h2>Plan against the audio</h2>",
        plan_plot(ev),
    ]
    parts.append(_table(
        [[p.index + 1, p.scene + 1, p.track or "", p.plan_tempo, p.tempo,
          f"{p.plan_key or ''} {p.plan_mode or ''}", f"{p.key} {p.mode}", p.key_match, p.lufs,
          p.emotion, "" if p.clap is None else p.clap] for p in ev.pages],
        ["page", "scene", "track", "plan BPM", "found BPM", "plan key", "found key", "key",
         "LUFS", "emotion", "CLAP"]))  # fmt: skip
    parts += ["<h2>Transitions</h2>", seams_plot(ev)]
    rows = [[k, v["count"], v["mean_abs_level_step_db"], v["mean_spectral_distance"],
             v["mean_chroma_distance"], v["max_click_ratio"]] for k, v in s["seams"].items()]  # fmt: skip
    parts.append(
        _table(
            rows, ["seam", "count", "mean |level step| dB", "spectral", "chroma", "max click ratio"]
        )
    )
    parts += ["<h2>Repetition</h2>", similarity_plot(ev)]
    rep = ev.repetition
    parts.append(f"<p>{rep['tracks']} tracks; used in more than one scene: "
                 f"{html.escape(str(rep['tracks_in_several_scenes']) or '-')}; page pairs of "
                 f"different scenes with near-identical music: "
                 f"{_pct(rep['near_identical_cross_scene_share'])}.</p>")  # fmt: skip
    if any(p.clap is not None for p in ev.pages):
        parts += ["<h2>CLAP agreement per page</h2>", clap_plot(ev)]
    parts.append("<p class='note'>What each figure means and its limits: docs/evaluate.md.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"
