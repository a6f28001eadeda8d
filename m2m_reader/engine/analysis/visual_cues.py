"""Emotions of a page read from its pixels: its words, its lettering and its pictures.

For pages without annotations (see `page_reading`). The words in balloons read as
in any book (`text_cues`, English and Japanese); a jagged balloon is a shout, which
sharpens what its words say. Sound effects are heard: loud, sudden lettering (big,
"!", "CRASH", ドン) excites the page, a few quiet ones set a mood (drip, ♪). The
pictures raise arousal — speed lines, black panels, a fast pace of many panels,
darkness — and, where the text is silent, set the valence: a dark, tense page
reads as fear, a dim quiet one as sadness, a bright calm one (or one painted in
full colour) as ease.
"""

from __future__ import annotations

import re

from .emotions import EMOTIONS, normalise
from .records import PageEmotions, PageTranscript
from .text_cues import evidence, line_scores

TALK_PRIOR = 0.6  # neutral mass each line of dialogue keeps
SHOUT = 0.4  # what a jagged balloon adds to its words' strongest feeling
TENSE = ("fear", "anger", "surprise")
COLOURFUL = 0.3  # share of clearly coloured pixels of a page in full colour

# Loud, sudden sounds are action; the page decides between fear, anger and surprise.
_SFX_ACTION = re.compile(
    r"crash|bang|boom|grab|dash|slam|thud|wham|smash|pow\b|kick|punch|bam\b|crack|zoom|"
    r"whoosh|fwoosh|swoosh|thump|tap tap|stomp|rumble|squea|screech|a+r+g+h|gasp|"
    r"ドン|バン|ガシャ|ダッ|ドド|ゴゴ|バキ|ドカ|ガッ|ドキ|ザッ|ダダ|タタ|ビュ|ギャ|キャー|ワー",
    re.IGNORECASE,
)
_SFX_QUIET = {
    "sadness": re.compile(r"drip|sniff|sob\b|pitter|ポタ|ザー|しとしと|グス", re.IGNORECASE),
    "happiness": re.compile(r"la la|♪|tee hee|\bhum|chirp|tweet|ルン|ふふ", re.IGNORECASE),
    "neutral": re.compile(r"gatan|goton|tick|tock|riii|ガタン|ゴトン|シーン|チッ", re.IGNORECASE),
}
_STRETCH = re.compile(r"(.)\1{2,}")


def sfx_arousal(text: str, loudness: float) -> tuple[str | None, float]:
    """A sound effect's quiet mood (or None) and how much it excites the page, 0..1."""
    for emotion, pattern in _SFX_QUIET.items():
        if pattern.search(text):
            return emotion, 0.0
    bangs = min(2, text.count("!") + text.count("！"))
    score = 0.45 * bool(_SFX_ACTION.search(text)) + 0.15 * bangs
    score += 0.15 * bool(_STRETCH.search(text.lower())) + 0.35 * loudness
    return None, min(1.0, score)


_PLAIN_QUESTION = re.compile(r"(?<![!！])[?？](?![!！])")
_BANG = re.compile(r"[!！]")


def _line(text: str, bright: bool, dark: bool) -> dict[str, float]:
    """A line's evidence, read for a page whose speakers are not known.

    A plain question is not surprise. An exclamation whose words say nothing is
    arousal without a sign: the picture gives it one (joy on a bright page, fear on a
    dark one) instead of calling every raised voice surprise.
    """
    text = _PLAIN_QUESTION.sub(".", text)
    scores = line_scores(text)
    if _BANG.search(text) and (bright or dark):
        words = line_scores(_BANG.sub(".", text))
        if all(words[e] <= 0.0 for e in EMOTIONS if e != "neutral"):
            moved = scores["surprise"] - words["surprise"]
            scores["surprise"] -= moved
            scores["fear" if dark else "happiness"] += moved
    return scores


def _all_caps(texts: list[str]) -> bool:
    letters = [c for t in texts for c in t if c.isalpha() and c.isascii()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.85 * len(letters)


def _talk_scores(
    transcript: PageTranscript, bright: bool, dark: bool
) -> tuple[dict[str, float], int, list[str]]:
    total = {e: 0.0 for e in EMOTIONS}
    notes = []
    talk = [ln for ln in transcript.lines if ln.kind != "sfx"]
    # English manga is often lettered in capitals throughout: then capitals are the
    # lettering's style, not shouting (the balloon's shape says who shouts).
    caps = _all_caps([ln.text for ln in talk])
    for ln in talk:
        scores = _line(ln.text.lower() if caps else ln.text, bright, dark)
        if ln.kind == "shout":
            top = max(TENSE + ("happiness",), key=lambda e: scores[e])
            scores[top if scores[top] > 0 else "surprise"] += SHOUT
        scores["neutral"] += TALK_PRIOR
        for e, v in normalise(scores).items():
            total[e] += v
        note = evidence(ln.text)
        if note:
            notes.append(note)
    return total, len(talk), notes


def read_page_emotions(transcript: PageTranscript) -> PageEmotions:
    """The emotion profile of a page read from its pixels."""
    v = transcript.visual or {}
    dark = v.get("dark", 0.0) > 0.5 or v.get("brightness", 1.0) < 0.35
    bright = v.get("brightness", 0.0) >= 0.8 and not dark
    total, n_talk, notes = _talk_scores(transcript, bright, dark)
    talk = normalise(total) if n_talk else None
    loud = 0.0
    for ln in transcript.lines:
        if ln.kind != "sfx":
            continue
        mood, excite = sfx_arousal(ln.text, v.get("sfx_loudness", 0.0))
        if mood is not None:
            total[mood] += 0.6
        loud = max(loud, excite)
        notes.append(f"sound effect: “{ln.text[:30]}”")
    arousal = min(
        1.0,
        0.3 * v.get("speed_lines", 0.0)
        + 0.25 * v.get("black_panels", 0.0)
        + 0.15 * v.get("pace", 0.0)
        + 0.5 * loud
        + 0.2 * v.get("shouts", 0.0)
        + 0.25 * v.get("dark", 0.0),
    )
    weight = max(1.0, n_talk) * 0.5  # the pictures count like half the page's lines
    if talk is not None and talk["neutral"] < 0.8:
        # Pictures raise the arousal of what the words already feel: a tense feeling
        # grows with them, joy a little, sorrow not at all (unless it is dark).
        lead = max((e for e in EMOTIONS if e != "neutral"), key=lambda e: talk[e])
        if lead in TENSE:
            total["fear" if dark and lead == "surprise" else lead] += weight * arousal
        elif lead == "happiness":
            total["happiness"] += 0.5 * weight * arousal
        elif dark:
            total["fear"] += 0.5 * weight * arousal
    else:
        # The text is silent: the pictures set the mood.
        if dark:
            total["fear"] += weight * (0.3 + arousal)
        elif v.get("colour", 0.0) >= COLOURFUL:
            total["happiness"] += weight * 0.2  # a lively painted page is not a sad one
        elif v.get("brightness", 1.0) < 0.75:
            total["sadness"] += weight * 0.3
        else:
            total["happiness"] += weight * 0.15
        if not dark and arousal > 0.4:
            total["surprise"] += weight * (arousal - 0.4)
        total["neutral"] += weight
    if dark:
        notes.append("dark page")
    if v.get("speed_lines", 0.0) >= 0.3:
        notes.append("speed lines")
    profile = normalise(total)
    return PageEmotions(
        profile=profile, faces=[dict(profile) for _ in transcript.faces], evidence=notes[:4]
    )
