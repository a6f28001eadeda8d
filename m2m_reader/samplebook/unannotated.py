"""The sample story as a plain CBZ with no annotations, and what a reader should find in it.

    OUT/HaruNoMelody-en.cbz            the spreads, lettered in English, with a
                                       ComicInfo.xml (right to left, LanguageISO)
    OUT/HaruNoMelody-en.truth.json     per page the texts in reading order (kind:
                                       speech, shout, thought, narration, sfx), the
                                       scenes with their mood and the leading
                                       non-neutral emotion drawn on their faces

The Japanese edition (`lang="ja"`) letters the same story vertically in a CJK font
(`japanese.py`). This is what bench/reading.py scores page reading against: text
recovered (character error rate), scene boundaries and emotions, with nothing given
but the pixels.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path

from .draw import draw_spread
from .story import TITLE, Scene, parse
from .write import JPEG_QUALITY, SEED

COMICINFO = """<?xml version="1.0" encoding="utf-8"?>
<ComicInfo xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Title>{title}</Title>
  <Manga>YesAndRightToLeft</Manga>
  <LanguageISO>{lang}</LanguageISO>
  <PageCount>{pages}</PageCount>
</ComicInfo>
"""


def _plain(text: str, lang: str) -> str:
    """The text as a reader sees it (the Japanese script's spaces only break columns)."""
    return "".join(text.split()) if lang == "ja" else text


def _lead(emotions: list[str]) -> str:
    feeling = [e for e in emotions if e != "neutral"]
    return Counter(feeling).most_common(1)[0][0] if feeling else "neutral"


def write_unannotated(
    out: Path, lang: str = "en", scenes: list[Scene] | None = None, seed: int = SEED
) -> dict:
    """Write the CBZ and its truth into `out`; returns the truth."""
    scenes = parse() if scenes is None else scenes
    if lang == "ja":
        from .japanese import translate

        scenes = translate(scenes)
    out.mkdir(parents=True, exist_ok=True)
    name = f"{TITLE}-{lang}"
    truth: dict = {"title": name, "language": lang, "pages": [], "scenes": []}
    buffer = io.BytesIO()
    number = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for scene in scenes:
            first = number
            emotions: list[str] = []
            for spread in scene.spreads:
                drawing = draw_spread(spread, scene.tone, number, seed, lang=lang)
                jpeg = io.BytesIO()
                drawing.image.save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True)
                z.writestr(f"{number:03d}.jpg", jpeg.getvalue())
                panels = [*spread.right, *spread.left]
                kinds = [ln.kind for p in panels for ln in p.lines]
                truth["pages"].append(
                    {
                        "index": number,
                        "texts": [
                            {"text": _plain(t.text, lang), "kind": k, "box": list(t.box)}
                            for t, k in zip(drawing.texts, kinds, strict=True)
                        ],
                        "emotions": [f.emotion for f in drawing.figures],
                    }
                )
                emotions += [f.emotion for f in drawing.figures]
                number += 1
            truth["scenes"].append(
                {
                    "first_page": first,
                    "last_page": number - 1,
                    "mood": scene.mood,
                    "lead": _lead(emotions),
                }
            )
        z.writestr("ComicInfo.xml", COMICINFO.format(title=name, lang=lang, pages=number))
    (out / f"{name}.cbz").write_bytes(buffer.getvalue())
    (out / f"{name}.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return truth
