"""Built-in writing of scene directives and page captions from the analysis features.

A scene's features pick a musical palette (instruments, tempo range, mode, feel); the
directive names it with a key and tempo and says what the music should do for the
scene. Page captions repeat the palette, key and tempo — the consistency M2M-Gen gets
from its directive — and move the energy with the page's own emotion. The baseline
writes each page from its own features alone, so its music drifts page to page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .emotions import Profile, arousal, dominant, top, valence
from .visual_cues import COLOURFUL

MAJOR_KEYS = ("C", "D", "E-flat", "F", "G", "A", "B-flat")
MINOR_KEYS = ("A", "B", "C", "D", "E", "F-sharp", "G")


@dataclass(frozen=True)
class Palette:
    name: str
    ensemble: str  # "a playful jazz ensemble of piano, upright bass and brushed drums"
    short: str  # "the playful jazz ensemble"
    lead: str  # the melody instrument
    tempo: tuple[int, int]
    mode: str
    feel: str
    does: str  # what the music should do, completing "It should ..."


PALETTES: dict[str, Palette] = {
    p.name: p
    for p in (
        Palette(
            "calm",
            "a gentle acoustic guitar and soft piano duo, with a light flute",
            "the gentle guitar and piano",
            "flute",
            (70, 84),
            "major",
            "unhurried arpeggios",
            "feel warm and unhurried, like an ordinary day unfolding",
        ),
        Palette(
            "comedy",
            "a playful jazz ensemble of piano, upright bass and brushed drums, with a cheeky clarinet",
            "the playful jazz ensemble",
            "clarinet",
            (124, 140),
            "major",
            "a light swing",
            "bounce with mischief and leave room for each punchline",
        ),
        Palette(
            "bright",
            "a bright pop orchestra of pizzicato strings, piano and glockenspiel",
            "the bright pizzicato strings and glockenspiel",
            "glockenspiel",
            (104, 116),
            "major",
            "a bouncy, even pulse",
            "sparkle with cheerful energy",
        ),
        Palette(
            "quirky",
            "quirky pizzicato strings and marimba with woodwind flourishes",
            "the pizzicato strings and marimba",
            "marimba",
            (112, 126),
            "major",
            "a skipping pulse",
            "keep the listener curious, with sudden stops for each surprise",
        ),
        Palette(
            "chase",
            "a driving orchestral ensemble of staccato strings, low brass and taiko drums",
            "the driving strings, brass and taiko drums",
            "brass",
            (144, 160),
            "minor",
            "a relentless driving beat",
            "race forward with urgency and danger",
        ),
        Palette(
            "fury",
            "an aggressive rock band with distorted electric guitar, electric bass and pounding drums",
            "the distorted guitar and pounding drums",
            "electric guitar",
            (136, 152),
            "minor",
            "a heavy driving beat",
            "snarl with anger and confrontation",
        ),
        Palette(
            "dread",
            "tense ambient synth pads with a low cello drone and sparse piano",
            "the tense synth pads and low cello",
            "piano",
            (62, 74),
            "minor",
            "a slow, uneasy pulse",
            "creep with quiet dread and uncertainty",
        ),
        Palette(
            "sad",
            "a slow solo piano with a mournful cello and soft strings",
            "the solo piano and mournful cello",
            "cello",
            (56, 68),
            "minor",
            "a rubato, breathing pace",
            "ache with sorrow and the weight of parting",
        ),
        Palette(
            "uneasy",
            "uneasy chamber strings with a dissonant bassoon and muted horn",
            "the uneasy chamber strings",
            "bassoon",
            (80, 92),
            "minor",
            "a lurching, hesitant pulse",
            "sour the air with distaste",
        ),
        Palette(
            "hopeful",
            "a warm string orchestra with piano and a rising flute melody",
            "the warm strings, piano and flute",
            "flute",
            (76, 90),
            "major",
            "a steady, swelling pulse",
            "rise gently toward hope and a new beginning",
        ),
    )
}

MOOD_WORDS = {
    "anger": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happiness": "joy",
    "neutral": "calm",
    "sadness": "sadness",
    "surprise": "surprise",
}


def _pick(seed: str, options: tuple) -> object:
    h = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
    return options[h % len(options)]


def _feeling_valence(profile: Profile) -> float:
    """Valence of the non-neutral part of a profile (0 when there is none)."""
    rest = {e: s for e, s in profile.items() if e != "neutral"}
    total = sum(rest.values())
    return valence({e: s / total for e, s in rest.items()}) if total > 0.1 else 0.0


def choose_palette(profile: Profile, brightness: float, previous: Profile | None = None) -> Palette:
    """The palette a scene's emotions and look call for.

    Neutral faces dominate most manga scenes, so the choice follows the strongest
    other emotion when it has a real share; a dark scene leans toward tension.
    """
    shares = dict(top(profile, 7))
    feeling = {e: s for e, s in shares.items() if e != "neutral"}
    lead = max(feeling, key=lambda e: feeling[e])
    dark = brightness < 0.35
    after_sorrow = previous is not None and _feeling_valence(previous) < -0.25
    tension = feeling["fear"] + feeling["anger"]
    if feeling[lead] < 0.12:
        return PALETTES["hopeful" if after_sorrow else "calm"]
    if lead == "happiness":
        if after_sorrow and feeling["surprise"] < 0.15:
            return PALETTES["hopeful"]
        if feeling["surprise"] >= 0.1 and feeling["happiness"] + feeling["surprise"] >= 0.35:
            return PALETTES["comedy"]
        return PALETTES["bright"] if arousal(profile) >= 0.45 else PALETTES["calm"]
    if lead == "surprise":
        # Surprise alone says nothing about hope: a shock after sorrow is not a sunrise.
        if dark or tension >= 0.08:
            return PALETTES["chase" if not dark or feeling["anger"] >= 0.1 else "dread"]
        return PALETTES["comedy" if feeling["happiness"] >= 0.1 else "quirky"]
    if lead in ("fear", "anger"):
        if feeling["anger"] > 2 * feeling["fear"]:
            return PALETTES["fury"]  # anger is fury, by day or by night
        if dark and feeling["anger"] < 0.1:
            return PALETTES["dread"]  # fear at night creeps; it does not race
        return (
            PALETTES["chase"] if feeling["surprise"] >= 0.1 or tension >= 0.3 else PALETTES["dread"]
        )
    if lead == "sadness":
        return PALETTES["sad"]
    return PALETTES["uneasy"]


@dataclass(frozen=True)
class SceneMusic:
    palette: Palette
    key: str
    mode: str
    tempo: int


def scene_music(palette: Palette, seed: str) -> SceneMusic:
    keys = MAJOR_KEYS if palette.mode == "major" else MINOR_KEYS
    key = str(_pick(seed + ":key", keys))
    lo, hi = palette.tempo
    tempo = lo + int(hashlib.sha256((seed + ":tempo").encode()).hexdigest()[:4], 16) % (hi - lo + 1)
    return SceneMusic(palette, key, palette.mode, tempo)


def _names(cast: list[str]) -> str:
    cast = [c for c in cast if c][:3]
    if not cast:
        return "the characters"
    if len(cast) == 1:
        return cast[0]
    return ", ".join(cast[:-1]) + " and " + cast[-1]


def what_it_shows(
    visual: dict[str, float], profile: Profile, lines: int, sounds: int, pages: int
) -> str:
    """What a scene read from pixels shows, in a few words ("a chase through the night").

    Never "silent" when there is dialogue or lettering on its pages.
    """
    shares = dict(top(profile, 7))
    dark = visual.get("dark", 0.0) > 0.5
    action = max(visual.get("speed_lines", 0.0), visual.get("sfx", 0.0), visual.get("shouts", 0.0))
    tense = shares["fear"] + shares["anger"]
    per_page = lines / max(1, pages)
    if tense >= 0.25 and action >= 0.5:
        what = "a fight" if shares["anger"] > 1.5 * shares["fear"] else "a chase"
    elif shares["sadness"] >= 0.15 and arousal(profile) < 0.4:
        what = "a sad, quiet talk" if lines else "a quiet, grieving silence"
    elif per_page >= 5:
        what = "a lively exchange"
    elif lines:
        what = "a quiet talk" if arousal(profile) < 0.45 else "an eager talk"
    elif sounds:
        what = "panels of sound effects without words"
    else:
        what = "silent panels"
    if dark:
        return f"{what} at night"
    if visual.get("colour", 0.0) >= COLOURFUL:
        return f"{what} in full colour"
    if visual.get("screentone", 0.0) >= 0.2:
        return f"{what} over screentone"
    return what


def directive(
    music: SceneMusic,
    profile: Profile,
    cast: list[str],
    lines: int,
    pages: int,
    brightness: float,
    shows: str | None = None,
) -> str:
    p = music.palette
    moods = [MOOD_WORDS[e] for e, s in top(profile, 3) if e != "neutral" and s >= 0.1][:2]
    mood = " and ".join(moods) or "calm"
    talk = shows or (
        "a lively exchange"
        if lines / max(1, pages) >= 4
        else ("a few quiet words" if lines else "silent panels")
    )
    light = "under a dark sky" if brightness < 0.45 else "in clear light"
    if shows and shows.endswith("at night"):
        talk, light = shows[: -len(" at night")], "through the night"
    elif shows and shows.endswith("in full colour"):
        light = ""  # the colour is named in what the pages show; grey light it is not
    elif shows:
        light = "in " + ("dim grey light" if brightness < 0.75 else "clear light")
    text = (
        f"{p.ensemble[0].upper()}{p.ensemble[1:]}, in {music.key} {music.mode} at about "
        f"{music.tempo} BPM with {p.feel}. It should {p.does}, carrying the {mood} of "
        f"{_names(cast)} through {' '.join(part for part in (talk, light) if part)}."
    )
    return text


ENERGY_WORDS = (
    (0.25, "softly"),
    (0.45, "gently"),
    (0.65, "with growing energy"),
    (0.8, "with force"),
    (2.0, "at full intensity"),
)

PAGE_COLOUR = {
    "anger": "hard accents and heavier drums carry the anger",
    "disgust": "a sour, dissonant turn colours the disgust",
    "fear": "tremolo strings and a pulsing low note carry the fear",
    "happiness": "the {lead} answers with warm, smiling phrases",
    "neutral": "the texture stays light and unobtrusive under the dialogue",
    "sadness": "the {lead} lingers on a falling line of sadness",
    "surprise": "a sudden {lead} flourish marks the surprise",
}


def energy_of(page_profile: Profile) -> float:
    return max(0.05, min(1.0, arousal(page_profile)))


def caption(
    music: SceneMusic, page_profile: Profile, scene_profile: Profile, page_number: int, first: bool
) -> str:
    p = music.palette
    e_page, e_scene = energy_of(page_profile), energy_of(scene_profile)
    delta = e_page - e_scene
    shape = "building" if delta > 0.08 else "easing back" if delta < -0.08 else "holding steady"
    level = next(word for limit, word in ENERGY_WORDS if e_page < limit)
    colour = PAGE_COLOUR[dominant(page_profile)].format(lead=p.lead)
    plural = " and " in p.short
    verb = ("open" if plural else "opens") if first else ("continue" if plural else "continues")
    subject = p.short[0].upper() + p.short[1:]
    return (
        f"{subject} {verb} in {music.key} {music.mode} at {music.tempo} BPM, {shape} and "
        f"playing {level} on page {page_number}: {colour}, with {p.feel} underneath."
    )


def page_shows(lines: list) -> str:
    """For a page read from its pixels: what its lettering asks of the music (a hit for
    a sound effect, room for a shout, quiet under silence); empty for annotated pages."""
    kinds = [ln.kind for ln in lines]
    if not any(kinds):
        return ""
    sounds = [ln.text for ln in lines if ln.kind == "sfx"]
    if sounds:
        from .visual_cues import sfx_arousal

        sound = " ".join(sounds[0].split())[:24]
        if sfx_arousal(sound, 0.5)[0] is not None:  # drip, la la, a train: a quiet sound
            return f" A soft figure echoes the “{sound}”."
        return f" A sharp accent hits with the “{sound}”."
    if "shout" in kinds:
        return " Leave a gap for the shouting."
    return ""


GENRES = ("comedy", "humor", "romance", "sci-fi", "horror", "action", "drama", "conversation")


def section_analysis(
    profile: Profile, lines: int, pages: int, cast: list[str], brightness: float
) -> dict[str, str]:
    """manga2music's stage 1, from features: genre, atmosphere, focus, plot."""
    dom = dominant(profile)
    shares = dict(top(profile, 7))
    if dom in ("fear", "anger") and arousal(profile) >= 0.6:
        genre = "action"
    elif dom == "fear" and brightness < 0.45:
        genre = "horror"
    elif dom == "sadness":
        genre = "drama"
    elif shares["happiness"] + shares["surprise"] >= 0.5:
        genre = "comedy"
    elif dom == "happiness":
        genre = "romance" if len(cast) == 2 else "humor"
    else:
        genre = "conversation"
    moods = " and ".join(MOOD_WORDS[e] for e, s in top(profile, 2) if s >= 0.15) or "calm"
    focus = "dialogue" if lines / max(1, pages) >= 3 else "visual"
    plot = f"{_names(cast)} over {pages} page{'s' * (pages != 1)}, {lines} lines of dialogue"
    return {"genre": genre, "atmosphere": moods, "focus": focus, "plot": plot}


def section_music(analysis: dict[str, str], music: SceneMusic) -> str:
    """manga2music's stage 2: one broad, atmospheric paragraph that never names the comic."""
    genre, focus = analysis["genre"], analysis["focus"]
    if genre in ("comedy", "conversation", "humor"):
        body = (
            f"A relaxed lo-fi groove with {music.palette.lead} and soft keys in {music.key} "
            f"{music.mode} at {music.tempo} BPM, ambient and easygoing"
        )
    else:
        body = (
            f"{music.palette.ensemble[0].upper()}{music.palette.ensemble[1:]} in {music.key} "
            f"{music.mode} at {music.tempo} BPM"
        )
    if focus == "dialogue":
        tail = "following the story's turns with gentle shifts of colour rather than drama"
    else:
        tail = f"amplifying the {analysis['atmosphere']} with broad, swelling dynamics"
    return f"{body}, {tail}."
