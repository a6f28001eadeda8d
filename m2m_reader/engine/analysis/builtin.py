"""The built-in analysis backends: rules over the book's annotations, its dialogue and
its page images. Offline, no model, deterministic.

- `BuiltinText`: the transcript from the book's annotations in reading order, scene
  boundaries from `scene_rules`, directives and captions from `writer`.
- `BuiltinEmotions`: each face reads the emotion of what its character says on the
  page (`text_cues`), a silent face the page's mood, damped toward neutral.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ..books.model import Body, Book, Face, Page, TextBox
from ..core.cancel import CancelToken
from ..reading import PageReading
from . import scene_rules, writer
from .emotions import Profile, mix, neutral_profile, normalise
from .page_reading import readings_for, transcript_from_reading
from .page_stats import PageStats
from .records import (
    FaceReading,
    Line,
    PageEmotions,
    PageInput,
    PageTranscript,
    SceneInput,
    ScenesResult,
)
from .text_cues import evidence, line_profile
from .visual_cues import read_page_emotions

VERSION = "builtin-5"  # bump when the rules change: it is part of every cache key


def _reading_order(page: Page, direction: str) -> list[TextBox]:
    """Texts in reading order: by page half (spreads), frame, then across and down."""
    width = page.width or max((t.box.xmax for t in page.texts), default=1)
    rtl = direction == "rtl"

    def frame_of(t: TextBox) -> tuple[float, float]:
        cx, cy = t.box.center
        for f in page.frames:
            if f.box.xmin <= cx <= f.box.xmax and f.box.ymin <= cy <= f.box.ymax:
                return (f.box.ymin, -f.box.xmax if rtl else f.box.xmin)
        return (cy, -cx if rtl else cx)

    def order(t: TextBox) -> tuple:
        cx, cy = t.box.center
        half = 0
        if page.double:
            right = cx >= width / 2
            half = 0 if right == rtl else 1
        fy, fx = frame_of(t)
        band = round(fy / max(1.0, (page.height or 1000) / 6))  # frames on one row
        return (half, band, fx, -cx if rtl else cx, cy)

    return sorted(page.texts, key=order)


def _nearest_character(page: Page, t: TextBox) -> str | None:
    """For books without speaker annotations: the character whose body is nearest."""
    cx, cy = t.box.center
    best, best_d = None, float("inf")
    marks: list[Body | Face] = [*page.bodies, *page.faces]
    for b in marks:
        if b.character is None:
            continue
        bx, by = b.box.center
        d = (bx - cx) ** 2 + (by - cy) ** 2
        if d < best_d:
            best, best_d = b.character, d
    return best


class BuiltinText:
    """Args:
    read_page: reads a page's pixels (a cached `PageReadings.get`); used for the
        transcript of a page when the book has no annotations.
    """

    name = "builtin"

    def __init__(self, read_page: Callable[[int], PageReading | None] | None = None) -> None:
        self.read_page = read_page

    def settings_key(self) -> str:
        return VERSION

    def transcript(self, book: Book, page: int, cancel: CancelToken) -> PageTranscript:
        cancel.check()
        p = book.pages[page]
        if not (p.texts or p.faces or book.has_annotations):
            readings = readings_for(book)
            read = self.read_page or (readings.get if readings is not None else None)
            reading = read(page) if read is not None else None
            if reading is not None:
                return transcript_from_reading(page, reading)
        has_speakers = any(t.speaker for t in p.texts)
        lines = []
        for t in _reading_order(p, book.direction):
            if not t.text.strip():
                continue
            who = t.speaker if has_speakers else _nearest_character(p, t)
            lines.append(Line(page=page, speaker=book.speaker_name(who), text=t.text))
        faces = [
            FaceReading(
                box=(f.box.xmin, f.box.ymin, f.box.xmax, f.box.ymax),
                character=book.speaker_name(f.character) if f.character else None,
                id=f.id,
            )
            for f in p.faces
        ]
        return PageTranscript(index=page, lines=lines, faces=faces)

    def scenes(
        self,
        book: Book,
        transcripts: list[PageTranscript],
        cancel: CancelToken,
        *,
        stats: list[PageStats] | None = None,
        profiles: list[Profile] | None = None,
        upto: int | None = None,
    ) -> ScenesResult:
        cancel.check()
        if stats is None:
            from .page_stats import page_stats

            stats = [page_stats(book, t.index) for t in transcripts]
        annotated = any(t.lines or t.faces for t in transcripts)
        gaps = scene_rules.gap_evidence(transcripts, stats, profiles, annotated)
        return scene_rules.choose_boundaries(gaps, len(book), upto=upto)

    # -- writing -----------------------------------------------------------------

    def _music(self, scene: SceneInput) -> writer.SceneMusic:
        palette = writer.choose_palette(
            scene.emotions,
            scene.brightness if scene.brightness is not None else 0.7,
            scene.previous_emotions,
        )
        return writer.scene_music(palette, scene.seed or f"{scene.title}:{scene.first_page}")

    @staticmethod
    def _cast(lines: list[Line]) -> list[str]:
        counts: dict[str, int] = {}
        for ln in lines:
            if ln.speaker.lower() not in scene_rules.NARRATOR:
                counts[ln.speaker] = counts.get(ln.speaker, 0) + 1
        return sorted(counts, key=lambda s: -counts[s])

    def directive(self, scene: SceneInput, cancel: CancelToken) -> str:
        cancel.check()
        return self._write_directive(scene)

    def _write_directive(self, scene: SceneInput) -> str:
        pages = scene.last_page - scene.first_page + 1
        talk = [ln for ln in scene.lines if ln.kind != "sfx"]
        shows = None
        if scene.visual:  # read from pixels: say what the pages show
            sounds = len(scene.lines) - len(talk)
            shows = writer.what_it_shows(scene.visual, scene.emotions, len(talk), sounds, pages)
        return writer.directive(
            self._music(scene),
            scene.emotions,
            self._cast(scene.lines),
            len(talk),
            pages,
            scene.brightness if scene.brightness is not None else 0.7,
            shows,
        )

    def caption(self, page: PageInput, cancel: CancelToken) -> str:
        cancel.check()
        scene = page.scene
        own = self._write_directive(scene)
        if page.directive.strip() and page.directive.strip() != own:
            return _caption_from_text(page)
        text = writer.caption(
            self._music(scene),
            page.emotions,
            scene.emotions,
            page.index + 1,
            first=page.index == scene.first_page,
        )
        return text + writer.page_shows(page.lines)

    def page_description(self, book: Book, page: PageInput, cancel: CancelToken) -> str:
        """Baseline: the page alone picks its own palette, key and tempo."""
        cancel.check()
        alone = SceneInput(
            index=page.index,
            first_page=page.index,
            last_page=page.index,
            lines=page.lines,
            emotions=page.emotions,
            title=page.scene.title,
            seed=f"{page.scene.seed}:page:{page.index}",
            brightness=page.scene.brightness,
        )
        return self._write_directive(alone)

    def section(self, book: Book, section: SceneInput, cancel: CancelToken) -> tuple[str, str]:
        cancel.check()
        pages = section.last_page - section.first_page + 1
        brightness = section.brightness if section.brightness is not None else 0.7
        facts = writer.section_analysis(
            section.emotions, len(section.lines), pages, self._cast(section.lines), brightness
        )
        analysis = "; ".join(f"{k}: {v}" for k, v in facts.items())
        return analysis, writer.section_music(facts, self._music(section))


def _caption_from_text(page: PageInput) -> str:
    """A caption that keeps a free-text directive's instruments and key (its first
    sentence) and moves the energy with the page."""
    first = page.directive.strip().split(". ")[0].rstrip(".")
    words = first.split()
    if len(words) > 30:
        first = " ".join(words[:30])
    energy = writer.energy_of(page.emotions)
    delta = energy - writer.energy_of(page.scene.emotions)
    shape = "building" if delta > 0.08 else "easing back" if delta < -0.08 else "holding steady"
    level = next(word for limit, word in writer.ENERGY_WORDS if energy < limit)
    mood = writer.MOOD_WORDS[max(page.emotions, key=lambda e: page.emotions[e])]
    return (
        f"{first}; on page {page.index + 1} the music is {shape}, playing {level} "
        f"to carry the {mood}."
    )


class BuiltinEmotions:
    """Faces read the emotion of the words nearest to them.

    A face wears the emotion of its own character's nearest line on the page (in
    its panel when the book has frames); a face with no line of its own reacts to
    the lines in its panel, damped toward neutral; failing that, the page's mood.
    """

    name = "builtin"

    def settings_key(self) -> str:
        return VERSION

    def page_emotions(
        self, book: Book, transcript: PageTranscript, cancel: CancelToken
    ) -> PageEmotions:
        cancel.check()
        if transcript.visual is not None:  # read from the pixels: words, lettering, pictures
            return read_page_emotions(transcript)
        page = book.pages[transcript.index]
        lines = [(ln, line_profile(ln.text, prior=0.6)) for ln in transcript.lines]
        notes = [n for n in (evidence(ln.text) for ln, _ in lines) if n][:4]
        page_mood = mix([p for _, p in lines]) if lines else neutral_profile()
        annotated = {f.id: f for f in page.faces}
        faces = []
        for f in transcript.faces:
            if f.emotions:  # read by a vision model already
                faces.append(normalise(f.emotions))
                continue
            faces.append(
                _face_emotions(f.character, annotated.get(f.id or ""), page, lines, page_mood)
            )
        profile = mix(faces) if faces else page_mood
        return PageEmotions(profile=profile, faces=faces, evidence=notes)


def _face_emotions(
    name: str | None,
    face: Face | None,
    page: Page,
    lines: list[tuple[Line, Profile]],
    page_mood: Profile,
) -> Profile:
    own = [p for ln, p in lines if name and ln.speaker == name]
    if face is None or not page.texts:  # no boxes to go by: the character's words, or the mood
        return mix(own) if own else mix([page_mood, neutral_profile()])
    fx, fy = face.box.center
    frame = _frame_of(page, fx, fy)

    def distance(t: TextBox) -> float:
        tx, ty = t.box.center
        same = frame is not None and _frame_of(page, tx, ty) == frame
        return ((tx - fx) ** 2 + (ty - fy) ** 2) ** 0.5 * (1.0 if same else 3.0)

    mine = [t for t in page.texts if face.character and t.speaker == face.character]
    if mine:
        return line_profile(min(mine, key=distance).text, prior=0.6)
    near = [t for t in page.texts if frame is not None and _frame_of(page, *t.box.center) == frame]
    if near:  # a listener reacts to what is said in its panel, more calmly
        heard = mix([line_profile(t.text, prior=0.6) for t in near])
        return mix([heard, neutral_profile()], [2.0, 1.0])
    return mix(own) if own else mix([page_mood, neutral_profile()])


def _frame_of(page: Page, x: float, y: float) -> str | None:
    for f in page.frames:
        if f.box.xmin <= x <= f.box.xmax and f.box.ymin <= y <= f.box.ymax:
            return f.id
    return None


def seed_for(book: Book, *parts: object) -> str:
    base = f"{book.fingerprint}:" + ":".join(str(p) for p in parts)
    return hashlib.sha256(base.encode()).hexdigest()[:16]
