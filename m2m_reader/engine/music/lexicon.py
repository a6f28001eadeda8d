"""Words the plan reader knows: instruments, styles, moods, tempo words.

Kept apart from `plan.py` so the vocabulary can grow without touching the logic. Patterns
are regular expressions matched on lower-cased text at word starts.
"""

from __future__ import annotations

# (pattern, canonical instrument). Earlier patterns win over later ones on the same words.
INSTRUMENT_PATTERNS: list[tuple[str, str]] = [
    (r"electric pianos?|e-piano|rhodes|wurlitzer|electric keys", "electric piano"),
    (r"honky[- ]?tonk( pianos?)?|saloon pianos?", "honky-tonk piano"),
    (r"music[ -]?box(es)?", "music box"),
    (r"harpsichords?", "harpsichord"),
    (r"clavinets?|clavs?\b", "clavinet"),
    (r"pianos?|keyboards?|piano chords", "piano"),
    (r"tremolo strings|string tremolo", "tremolo strings"),
    (r"pizzicato( strings)?|plucked strings", "pizzicato strings"),
    (r"synth(esizer)? strings|string synths?", "synth strings"),
    (r"string (quartet|section|ensemble|orchestra)s?|strings|string pads?", "strings"),
    (r"fiddles?", "fiddle"),
    (r"violins?", "violin"),
    (r"violas?", "viola"),
    (r"cellos?|violoncellos?", "cello"),
    (
        r"double bass(es)?|upright bass(es)?|contrabass(es)?|walking bass|acoustic bass",
        "upright bass",
    ),
    (r"fretless bass(es)?", "fretless bass"),
    (r"slap bass(es)?", "slap bass"),
    (r"synth(esizer)? bass|bass synth|808s?", "synth bass"),
    (r"tubas?|sousaphones?", "tuba"),
    (r"bass guitars?|basslines?|bass lines?|bass(?! drum)(?!oon)\b", "bass"),
    (r"pan ?flutes?|pan ?pipes?|zampo[ñn]as?", "pan flute"),
    (r"shakuhachi|bamboo flutes?", "shakuhachi"),
    (r"recorders?", "recorder"),
    (r"piccolos?", "piccolo"),
    (r"ocarinas?", "ocarina"),
    (r"tin whistles?|penny whistles?|whistl", "whistle"),
    (r"flutes?|woodwinds?", "flute"),
    (r"clarinets?", "clarinet"),
    (r"english horns?|cor anglais", "english horn"),
    (r"oboes?", "oboe"),
    (r"bassoons?", "bassoon"),
    (r"harmonicas?|blues harp", "harmonica"),
    (r"bagpipes?", "bagpipe"),
    (r"shehnai|shanai", "shanai"),
    (r"harps?\b", "harp"),
    (r"kotos?\b", "koto"),
    (r"shamisens?|samisens?", "shamisen"),
    (r"sitars?", "sitar"),
    (r"banjos?", "banjo"),
    (r"kalimbas?|thumb pianos?|mbira", "kalimba"),
    (r"dulcimers?|hammered dulcimer|santur", "dulcimer"),
    (r"distorted guitars?|power chords|heavy guitars?", "distorted guitar"),
    (r"overdriven guitars?|crunchy guitars?", "overdriven guitar"),
    (r"muted guitars?|palm[- ]muted", "muted guitar"),
    (r"jazz guitars?|hollow[- ]?body", "jazz guitar"),
    (r"steel guitars?|pedal steel|slide guitars?", "steel guitar"),
    (r"electric guitars?|guitar riffs?|guitar solos?", "electric guitar"),
    (r"acoustic guitars?|nylon[- ]string|classical guitars?|guitars?|strumm", "acoustic guitar"),
    (r"synth(esizer)? leads?|lead synth|chiptune|square (wave|lead)", "synth lead"),
    (r"synth(esizer)? pads?|pads?\b|drones?|synth(esizer)?s?\b|swells?", "synth pad"),
    (r"choirs?|choral|chorus|voices|vocals|chant|humming", "choir"),
    (r"muted trumpets?|trumpets? with (a )?mute|harmon mute|cup mute", "muted trumpet"),
    (r"trumpets?|cornets?", "trumpet"),
    (r"trombones?", "trombone"),
    (r"french horns?|horns?\b", "horn"),
    (r"synth(esizer)? brass", "synth brass"),
    (r"brass", "brass"),
    (r"soprano sax(ophone)?s?", "soprano saxophone"),
    (r"tenor sax(ophone)?s?", "tenor saxophone"),
    (r"baritone sax(ophone)?s?|bari sax", "baritone saxophone"),
    (r"(alto )?sax(ophone)?s?\b", "saxophone"),
    (r"celestas?|celeste", "celesta"),
    (r"tubular bells?|church bells?|chimes?\b|tolling bells?|bells toll", "tubular bells"),
    (r"steel (drums?|pans?)|steelpans?", "steel drums"),
    (r"glockenspiels?|bells?\b|twinkl", "glockenspiel"),
    (r"xylophones?", "xylophone"),
    (r"marimbas?", "marimba"),
    (r"vibraphones?|vibes\b", "vibraphone"),
    (r"church organs?|pipe organs?|organs?\b", "organ"),
    (r"accordions?", "accordion"),
    (r"bandoneons?", "bandoneon"),
    (r"taiko( drums?)?|war drums|wadaiko", "taiko"),
    (r"timpani|kettle ?drums?", "timpani"),
    (r"wood ?blocks?|temple blocks?", "woodblock"),
    (r"reverse cymbals?", "reverse cymbal"),
    (r"brush(es|ed)?( drums?| kit| snare)?", "brush kit"),
    (r"percussion|tom[- ]toms?|tabla|bongos?|congas?|hand drums?", "percussion"),
    (
        r"drums?\b|drum ?kits?|drumbeats?|beats?\b|snares?|hi-?hats?|cymbals?|backbeat",
        "drums",
    ),
]

# Playing techniques a caption may ask for: (pattern, articulation).
ARTICULATIONS: list[tuple[str, str]] = [
    (r"staccato|spiccato|detached|short,? clipped", "staccato"),
    (r"legato|smooth(ly)? connected|long,? flowing lines?|slurred", "legato"),
    (r"tremolo|trembling|shiver", "tremolo"),
    (r"pizzicato|plucked strings", "pizzicato"),
]

# Sound colour a synthesiser can add under the music: (pattern, colour).
COLOURS: list[tuple[str, str]] = [
    (r"vinyl|crackl|record noise|dusty record", "vinyl"),
    (r"rain(y|ing|fall|drops?)?\b|drizzl|downpour|storm", "rain"),
    (r"wind\b|windy|gust|breez", "wind"),
]

# Words that make the instrument next to them the one that sings the melody: after it
# ("the cello sings", "a flute melody") they are surer than an adjective before it
# ("a mournful cello"), which is surer than "solo" before it.
LEAD_AFTER = r"sings?|singing|melod|leads?\b|takes the lead|solos?\b|theme|tune|calls?|wails?|cries"
LEAD_BEFORE = (
    r"mournful|singing|lyrical|plaintive|soaring|lonely|lone|wistful|cheeky|rising|"
    r"tender|sighing|sorrowful|aching|keening|yearning|haunting|sweet|wailing|lead|featured"
)

STYLE_PATTERNS: list[tuple[str, str]] = [
    (r"jazz|swing\b|bebop|big band|bossa|lounge|ragtime", "jazz"),
    (r"lo-?fi|chillhop|hip[- ]?hop|boom[- ]bap|chill beats?", "lofi"),
    (r"rock\b|punk|metal\b|grunge|guitar-driven", "rock"),
    (
        r"electronic|techno|synthwave|edm|chiptune|8-bit|house music|trance|retro synth",
        "electronic",
    ),
    (r"orchestra|symphon|cinematic|film score|epic|classical|string quartet|score\b", "orchestral"),
    (r"pop\b|catchy|anthem|sing-?along", "pop"),
    (r"folk|celtic|country|campfire|pastoral", "folk"),
    (r"ambient|ethereal|atmospheric|drone|meditative|new age|soundscape", "ambient"),
]

# Which instrument fills each role when a style asks for it and the text names none.
STYLE_TEMPLATES: dict[str, dict[str, str]] = {
    "jazz": {"harmony": "piano", "bass": "upright bass", "drums": "drums"},
    "orchestral": {"sustained": "strings", "melody": "flute", "bass": "cello", "counter": "horn"},
    "lofi": {"harmony": "electric piano", "bass": "bass", "drums": "drums"},
    "rock": {
        "harmony": "distorted guitar",
        "melody": "electric guitar",
        "bass": "bass",
        "drums": "drums",
    },
    "electronic": {
        "sustained": "synth pad",
        "melody": "synth lead",
        "bass": "synth bass",
        "drums": "drums",
    },
    "folk": {"harmony": "acoustic guitar", "melody": "flute", "bass": "bass"},
    "ambient": {"sustained": "synth pad", "harmony": "piano"},
    "pop": {"harmony": "piano", "bass": "bass", "drums": "drums"},
}

# mood word stem -> (energy 0..1, valence -1..1: below zero leans minor)
MOODS: dict[str, tuple[float, float]] = {
    "calm": (0.2, 0.3), "gentle": (0.2, 0.2), "soft": (0.25, 0.1), "quiet": (0.2, 0.0),
    "peace": (0.15, 0.5), "serene": (0.15, 0.4), "tranquil": (0.15, 0.3), "relax": (0.25, 0.3),
    "tender": (0.25, 0.3), "delicate": (0.25, 0.1), "lullab": (0.1, 0.3), "dream": (0.25, 0.1),
    "ethereal": (0.25, 0.0), "hush": (0.15, 0.0), "subdued": (0.25, -0.2), "mellow": (0.3, 0.2),
    "warm": (0.35, 0.5), "reflect": (0.3, -0.1), "nostalg": (0.3, -0.3), "wistful": (0.3, -0.5),
    "lonel": (0.25, -0.8), "melanchol": (0.3, -1.0), "sad": (0.3, -1.0), "sorrow": (0.25, -1.0),
    "grief": (0.25, -1.0), "mourn": (0.25, -1.0), "somber": (0.3, -0.8), "sombre": (0.3, -0.8),
    "tear": (0.3, -0.8), "bittersweet": (0.35, -0.3), "longing": (0.35, -0.4), "tragic": (0.45, -1.0),
    "mysterio": (0.4, -0.6), "eerie": (0.4, -0.9), "uneas": (0.5, -0.7), "curio": (0.45, 0.2),
    "whimsic": (0.5, 0.8), "playful": (0.55, 0.9), "light": (0.45, 0.5), "cheer": (0.6, 1.0),
    "happ": (0.6, 1.0), "joy": (0.65, 1.0), "bright": (0.6, 0.8), "hope": (0.5, 0.7),
    "romanc": (0.4, 0.5), "romantic": (0.4, 0.5), "love": (0.4, 0.5), "tense": (0.75, -0.8),
    "tension": (0.75, -0.8), "suspens": (0.7, -0.8), "anxi": (0.7, -0.8), "nervous": (0.65, -0.6),
    "ominous": (0.6, -1.0), "dark": (0.55, -0.9), "menac": (0.7, -1.0), "angr": (0.85, -0.8),
    "anger": (0.85, -0.8), "rage": (0.95, -0.8), "furious": (0.95, -0.8), "fierce": (0.85, -0.5),
    "aggress": (0.9, -0.6), "intens": (0.85, -0.3), "urgent": (0.85, -0.5), "frantic": (0.95, -0.5),
    "chase": (0.9, -0.4), "battle": (0.95, -0.5), "fight": (0.9, -0.5), "action": (0.85, -0.2),
    "heroic": (0.75, 0.7), "triumph": (0.75, 0.9), "epic": (0.8, 0.0), "energetic": (0.8, 0.5),
    "upbeat": (0.7, 0.8), "lively": (0.7, 0.8), "brisk": (0.65, 0.4), "driving": (0.8, -0.1),
    "powerful": (0.8, 0.0), "thunder": (0.95, -0.4), "explos": (0.95, -0.3), "chao": (0.9, -0.6),
    "panic": (0.9, -0.8), "fear": (0.7, -1.0), "scar": (0.7, -0.9), "terr": (0.85, -1.0),
    "horror": (0.75, -1.0), "shock": (0.8, -0.4), "surpris": (0.7, 0.3), "excit": (0.75, 0.7),
    "dramatic": (0.7, -0.3), "grand": (0.7, 0.4), "climax": (0.95, 0.0), "neutral": (0.4, 0.1),
    "comed": (0.55, 0.9), "comic": (0.55, 0.9), "funny": (0.55, 0.9), "humor": (0.55, 0.9),
    "humour": (0.55, 0.9), "disgust": (0.6, -0.8), "determin": (0.7, 0.2), "resolve": (0.6, 0.3),
    "contemplat": (0.3, 0.0), "introspect": (0.3, -0.2), "bleak": (0.3, -0.9), "haunt": (0.4, -0.9),
}  # fmt: skip

BUILDING = r"build|crescendo|rising|swell|grow|escalat|mounting|intensif"

TEXTURES: list[tuple[str, str]] = [
    (r"minimal|sparse|bare|solo\b|simple|spacious|lonely|delicate|thin", "sparse"),
    (r"lush|full\b|dense|layered|rich|thick|wall of sound|massive|thunder|grand|big\b", "dense"),
    (r"flow|arpeggi|rippl|cascad|interlac|weav|legato|smooth|undulat", "flowing"),
]

# Tempo words: (pattern, low bpm, high bpm). The first match in the text wins.
TEMPO_WORDS: list[tuple[str, int, int]] = [
    (r"frantic|chase|driving|racing|breakneck|furious|presto|battle|fast-paced|rapid", 140, 170),
    (r"allegro|fast\b|quick|energetic|lively", 125, 145),
    (r"brisk|upbeat|bouncy|bouncing|jaunty|march|playful|bright tempo", 110, 130),
    (r"moderate|andante|walking|steady|mid-?tempo", 88, 104),
    (r"adagio|largo|lento|slow|gentle|calm|peaceful|lullab|languid|serene|tranquil", 60, 80),
]

# Style tempo defaults when no tempo word is present: (low, high) at energy 0 and 1.
STYLE_TEMPO: dict[str, tuple[int, int]] = {
    "jazz": (96, 150),
    "lofi": (72, 92),
    "rock": (110, 160),
    "electronic": (110, 140),
    "orchestral": (66, 140),
    "folk": (80, 124),
    "ambient": (60, 96),
    "pop": (90, 130),
}
