"""The script of the sample book "HaruNoMelody", as data.

The story is written in a small line format so it reads like a script:

    # scene: MOOD | tone=TONE          a new scene; TONE picks the background style
    = spread                            a new two-page spread (one Manga109 page)
    /                                   the rest of this spread is its left half
    PLACE [wide] [close] | CAST | LINES one panel

CAST is ``name=emotion`` pairs (the emotion drawn on that face, one of KangaiSet's
seven classes). LINES are separated by `` || `` and start with the speaker:
``haru:`` speech, ``haru!:`` shouting (jagged balloon), ``haru~:`` a thought,
``narr:`` a narration box, ``sfx:`` a drawn sound effect. The right half of a spread
is read first (right to left), as in Japanese manga.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..engine.analysis.emotions import EMOTIONS

TITLE = "HaruNoMelody"

LineKind = Literal["speech", "shout", "thought", "narration", "sfx"]

# name in the script -> name in the book
CHARACTERS: dict[str, str] = {"haru": "Haru", "ren": "Ren", "mio": "Mio", "goro": "Goro"}


@dataclass(frozen=True)
class Line:
    who: str | None  # a CHARACTERS key, or None for narration and sound effects
    text: str
    kind: LineKind


@dataclass(frozen=True)
class Actor:
    who: str
    emotion: str


@dataclass(frozen=True)
class Panel:
    place: str
    wide: bool
    close: bool
    cast: tuple[Actor, ...]
    lines: tuple[Line, ...]


@dataclass
class Spread:
    right: list[Panel] = field(default_factory=list)
    left: list[Panel] = field(default_factory=list)


@dataclass
class Scene:
    mood: str
    tone: str
    spreads: list[Spread] = field(default_factory=list)


SCRIPT = """
# scene: calm morning | tone=morning
= spread
town wide | | narr: Spring in Minato, a small town by the sea.
room | haru=neutral | haru: Mm... morning already?
room close | haru=happiness | haru: The sun is out. Nice and warm.
/
room wide | mio=happiness haru=neutral | mio: Haru! Breakfast is ready! || haru: Coming, coming.
room | haru=neutral | haru: Now, where did I put my harmonica...
room | mio=neutral | mio: On your desk. Like always.
= spread
kitchen wide | mio=happiness haru=happiness | mio: I made the toast today. || haru: Thanks, Mio. It smells good.
kitchen | haru=neutral | haru: Is Ren coming by this morning?
kitchen | mio=neutral | mio: He said he'd wait at the corner.
/
kitchen close | mio=happiness | mio: You two practise every single day. Hehe.
kitchen wide | haru=neutral | haru: The spring festival is on Sunday. We want our duet to be good.
kitchen | mio=happiness | mio: I'll sit in the front row!
= spread
street wide | haru=happiness mio=happiness | haru: See you tonight! || mio: Bye! Don't be late!
street | | narr: The road to school runs along the harbour.
street | ren=neutral | ren: Morning, Haru.
/
street wide | haru=happiness ren=neutral | haru: Good morning! You're early today. || ren: Couldn't sleep much.
street close | ren=neutral | ren: ...
street wide | haru=neutral ren=neutral | haru: Something on your mind? || ren: No. It's nothing.
= spread
harbour wide | haru=happiness ren=neutral | haru: Look, the fishing boats are back. || ren: The sea is calm today.
harbour | haru=happiness | haru: I love this road in the morning.
harbour | ren=happiness | ren: Yeah. Me too.
/
harbour wide | ren=neutral | ren: Haru, did you finish the last part of our song?
harbour | haru=happiness | haru: Almost! I'll show you after school.
harbour | ren=neutral | ren: Okay. I'll bring the sheet music.
= spread
school wide | | narr: Minato High School.
school wide | haru=neutral ren=neutral | haru: First class is maths... || ren: Don't fall asleep again.
school | haru=neutral | haru: I never fall asleep.
/
school | ren=happiness | ren: You snored last week.
school close | haru=neutral | haru: That was a very quiet snore.
school wide | haru=happiness ren=happiness | ren: Sure it was. || haru: See you after class.

# scene: comedy | tone=dots
= spread
music wide | ren=happiness haru=happiness | ren: Okay! From the top! || haru: One, two, three!
music wide | haru=surprise ren=surprise | sfx: SQUEEEAK! || ren!: Whoa! What was that?!
music close | haru=surprise | haru: My harmonica... it squeaked?!
/
music | ren=happiness | ren: Hahaha! It sounded like a duck!
music | haru=anger | haru!: Hey! Don't laugh!
music wide | ren=happiness haru=happiness | ren: Sorry, sorry! Haha! || haru: Okay... it WAS a little funny.
= spread
music close | mio=happiness | mio!: Surprise! I brought snacks!
music wide | haru=surprise ren=surprise | haru: Mio?! How did you get in here? || ren: Wow, she's fast.
music | mio=happiness | mio: I baked cookies. Try one!
/
music close | ren=disgust | ren: ...Mio. Is this salt?
music | mio=surprise | mio: Huh? It was the white jar...
music wide | haru=disgust | haru!: Ugh! Yuck! Water, water!
= spread
music wide | mio=happiness haru=happiness | mio: Hehe... oops. || haru: You're hopeless. Haha!
music | ren=happiness | ren: Okay, okay. Once more, for real.
music | haru=happiness | haru: This time it'll be perfect!
/
music wide | haru=happiness ren=happiness | sfx: ~ la la la ~
music close | mio=surprise | mio: Wow! That's so pretty!
music wide | haru=happiness ren=happiness | haru: We did it! || ren: Yes! Great!
= spread
music | mio=happiness | mio: Encore! Encore!
music close | ren=surprise | ren!: Wait, the cookies are still here?!
music wide | haru=happiness | haru: Hahaha! Hide them!
/
music wide | ren=happiness | ren: I'll take the sheet music home tonight and copy it.
music | haru=happiness | haru: Thanks! It's our only copy, so be careful.
music close | ren=happiness | ren: I'll guard it with my life. Haha.

# scene: night chase | tone=night
= spread
night wide | | narr: That evening, on the way home...
night wide | haru=neutral ren=neutral | haru: It's dark already. || ren: Let's take the shortcut.
night | goro=neutral | goro: ...
/
night wide | goro=anger | sfx: GRAB! || goro!: Give me that bag!
night | ren=surprise | ren!: Hey! My bag!
night close | haru=fear | haru!: The sheet music is in there!
= spread
night | goro=anger | goro!: Out of my way!
night | ren=anger | ren!: Stop! Thief!
night wide | haru=fear | haru: Ren, wait! It's dangerous!
/
alley wide | goro=fear ren=anger | sfx: DASH DASH || ren!: Come back here!
alley | haru=fear | haru: Hah... hah... he's so fast...
alley | goro=surprise | goro!: These kids won't give up?!
= spread
alley wide | ren=anger | ren!: Haru, go left! Cut him off!
alley | haru=fear | haru: O-okay! Hurry!
alley | goro=disgust | goro: Ugh, this alley stinks of fish...
/
alley wide | goro=surprise | sfx: CRASH! || goro!: Whoa!
alley | haru=surprise | haru!: He tripped!
alley | goro=anger | goro!: Damn it! Get away from me!
= spread
stairs wide | goro=fear | sfx: TAP TAP TAP || goro: Up the stairs... hurry...
stairs | ren=anger | ren!: You won't get away!
stairs | haru=fear | haru: My legs... I can't...
/
stairs | haru=anger | haru!: No! I won't give up!
stairs close | goro=surprise | goro!: What?! The girl too?!
stairs | ren=surprise | ren!: Haru! Wow!
= spread
bridge wide | goro=fear | narr: The river bridge. || goro: Nowhere to run...
bridge | ren=anger | ren!: Give it back. Now!
bridge | goro=fear | goro!: Stay back! I'll throw it in the river!
/
bridge close | haru=fear | haru!: No! Please don't! That song is everything to us!
bridge | goro=surprise | goro: A... song?
bridge wide | ren=anger | ren!: Drop it and run, or I'll call the police!
= spread
bridge wide | goro=fear | goro!: Tch! Take your stupid paper!
bridge wide | haru=surprise ren=surprise | sfx: FWOOSH || haru!: The pages! || ren!: Catch them!
bridge | haru=fear | haru: Got one! Ren?!
/
bridge | ren=surprise | ren: Got the rest! Phew...
bridge | goro=fear | sfx: TAP TAP TAP
bridge wide | haru=fear ren=neutral | haru: My heart is still pounding... || ren: Are you hurt?

# scene: sad parting | tone=rain
= spread
rain wide | | sfx: drip... drip...
rain wide | haru=neutral ren=sadness | haru: You wanted to tell me something? || ren: ...Yes.
rain close | ren=sadness | ren: Haru... I'm moving to Sapporo. On Saturday.
/
rain close | haru=surprise | haru: ...What?
rain | ren=sadness | ren: My dad got a new job. I'm sorry. I should have told you sooner.
rain wide | haru=sadness | haru: Saturday... but the festival is on Sunday...
= spread
rain | ren=sadness | ren: I know. I'm sorry. I'm really sorry.
rain | haru=anger | haru!: Why didn't you say anything?!
rain wide | ren=sadness | ren: I didn't want to spoil our last weeks together...
/
rain close | haru=sadness | haru: ...
rain wide | haru=sadness | haru: So our duet... we'll never play it.
rain | ren=sadness | ren: ...
= spread
station wide | | narr: Saturday. Minato Station.
station | mio=sadness | mio: Ren... are you really leaving?
station | ren=sadness | ren: Look after your big sister, okay?
/
station | haru=sadness | haru: I brought something for you.
station close | haru=sadness | haru: The sheet music. Keep it. It's our song.
station | ren=sadness | ren: Haru... thank you.
= spread
station wide | ren=sadness | sfx: RIIING || ren: I have to go. Goodbye, Haru.
station | haru=sadness | haru: Goodbye... Ren.
station close | haru=sadness | haru: ...
/
station wide | | sfx: GATAN GOTON...
station wide | mio=sadness haru=sadness | mio: Sis... it's okay to cry. || haru: I'm not crying... it's the rain.
station | haru=sadness | haru~: I never told him how I feel...
= spread
rain wide | | narr: The rain kept falling all night.
room | mio=sadness | mio: Haru? I left some tea by your door.
room | haru=sadness | haru: Thank you, Mio. I'm sorry... I want to be alone.
/
room close | haru=sadness | haru~: Our song... without Ren...
room wide | haru=sadness | haru: ...I miss you already.

# scene: hopeful ending | tone=sunrise
= spread
hill wide | | narr: Three weeks later. Dawn.
hill | haru=neutral | haru: The sun is coming up...
hill wide | haru=neutral | haru: I've come here every morning to practise alone.
/
hill wide | mio=happiness | mio!: Haru! Haru! A letter came for you!
hill | haru=surprise | haru: A letter? From...?
hill close | mio=happiness | mio: From Sapporo! Hehe.
= spread
hill wide | haru=neutral | narr: "Dear Haru, the snow here is beautiful."
hill | ren=happiness | narr: "I play our song every night. The old piano here sings."
hill | ren=happiness | narr: "This summer I'll come back for the harbour festival."
/
hill wide | ren=happiness | narr: "Let's play our duet together. Wait for me. -- Ren"
hill close | haru=happiness | haru: That idiot... of course I'll wait.
hill | haru=happiness | haru: Thank you, Ren.
= spread
hill wide | mio=happiness haru=happiness | mio: You're smiling again! || haru: Am I? Haha.
hill | haru=happiness | haru: Mio, want to hear the new part of our song?
hill | mio=happiness | mio!: Yes! Play it!
/
hill wide | haru=happiness | sfx: ~ la la la ~
hill | mio=neutral | mio: It sounds warm. Like a spring morning.
hill | haru=neutral | haru: It's called "Haru no Melody". The spring melody.
= spread
hill | haru=happiness | haru: Summer will come soon.
hill wide | haru=happiness mio=happiness | mio: Let's go home. Breakfast! || haru: Race you!
/
town wide | | narr: And the melody went on...
snow wide | ren=happiness | narr: ...far to the north, where someone was playing it too.
town | | narr: The End
"""


def _parse_lines(chunk: str, where: str) -> tuple[Line, ...]:
    lines = []
    for part in (p.strip() for p in chunk.split("||")):
        if not part:
            continue
        head, sep, text = part.partition(":")
        if not sep:
            raise ValueError(f"{where}: line without a speaker: {part!r}")
        head, text = head.strip(), text.strip()
        if head == "narr":
            lines.append(Line(None, text, "narration"))
        elif head == "sfx":
            lines.append(Line(None, text, "sfx"))
        else:
            kind: LineKind = "speech"
            if head.endswith("!"):
                kind, head = "shout", head[:-1]
            elif head.endswith("~"):
                kind, head = "thought", head[:-1]
            if head not in CHARACTERS:
                raise ValueError(f"{where}: unknown speaker {head!r}")
            lines.append(Line(head, text, kind))
    return tuple(lines)


def _parse_panel(row: str, where: str) -> Panel:
    try:
        head, cast_s, lines_s = (s.strip() for s in row.split("|", 2))
    except ValueError:
        raise ValueError(f"{where}: a panel needs 'PLACE | CAST | LINES'") from None
    words = head.split()
    cast = []
    for item in cast_s.split():
        who, _, emotion = item.partition("=")
        if who not in CHARACTERS or emotion not in EMOTIONS:
            raise ValueError(f"{where}: bad cast entry {item!r}")
        cast.append(Actor(who, emotion))
    lines = _parse_lines(lines_s, where)
    present = {a.who for a in cast}
    for line in lines:
        if line.who is not None and line.who not in present:
            raise ValueError(f"{where}: {line.who} speaks but is not in the panel")
    return Panel(words[0], "wide" in words[1:], "close" in words[1:], tuple(cast), lines)


def parse(script: str = SCRIPT) -> list[Scene]:
    """Scenes of the book, in reading order."""
    scenes: list[Scene] = []
    left = False
    for number, raw in enumerate(script.splitlines(), 1):
        row = raw.strip()
        where = f"script line {number}"
        if not row:
            continue
        if row.startswith("# scene:"):
            mood, _, tone = row[len("# scene:") :].partition("| tone=")
            scenes.append(Scene(mood.strip(), tone.strip()))
        elif row == "= spread":
            scenes[-1].spreads.append(Spread())
            left = False
        elif row == "/":
            left = True
        else:
            spread = scenes[-1].spreads[-1]
            (spread.left if left else spread.right).append(_parse_panel(row, where))
    return scenes
