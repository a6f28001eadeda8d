"""Emotion cues in dialogue, English and Japanese, for the built-in emotion reader.

Each line of dialogue gets scores over KangaiSet's seven classes from words, from
punctuation ("!?", "!", "…"), laughter, stretched vowels and shouting in capitals.
The scores are evidence, not probabilities; `line_profile` normalises them and adds
a neutral prior so a plain line reads as neutral.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .emotions import EMOTIONS, Profile, normalise

# Word stems per class. English entries match whole words or word starts; Japanese
# entries match anywhere (no spaces to split on).
_EN: dict[str, tuple[str, ...]] = {
    "anger": (
        "damn",
        "angry",
        "furious",
        "how dare",
        "shut up",
        "idiot",
        "stupid",
        "hate",
        "get lost",
        "you jerk",
        "unforgivable",
        "enough",
        "stop it",
        "tch",
        "grr",
        "jerk",
        "moron",
        "liar",
        "you'll pay",
        "mad at",
        "thief",
        "out of my way",
        "give it back",
        "give me that",
        "won't get away",
        "come back here",
        "get away from",
        "how could you",
        "i'll get you",
        "police",
    ),
    "disgust": (
        "gross",
        "ew",
        "eww",
        "yuck",
        "disgusting",
        "nasty",
        "creep",
        "ugh",
        "filthy",
        "revolting",
        "sick of",
        "stinks",
        "pathetic",
    ),
    "fear": (
        "help",
        "run",
        "scared",
        "afraid",
        "hide",
        "watch out",
        "look out",
        "no no",
        "they're coming",
        "it's coming",
        "behind you",
        "danger",
        "terrified",
        "hurry",
        "faster",
        "can't escape",
        "don't let",
        "monster",
        "please don't",
        "we're dead",
        "trapped",
        "lost",
        "dangerous",
        "nowhere to run",
        "stay back",
        "i can't",
        "please no",
    ),
    "happiness": (
        "haha",
        "hehe",
        "ahaha",
        "lol",
        "yay",
        "great",
        "wonderful",
        "love",
        "happy",
        "thank",
        "fun",
        "delicious",
        "yummy",
        "awesome",
        "nice",
        "glad",
        "welcome",
        "good morning",
        "congrat",
        "hooray",
        "smile",
        "beautiful",
        "promise",
        "together",
        "best",
        "can't wait",
        "perfect",
        "cute",
        "enjoy",
        "laugh",
    ),
    "sadness": (
        "sorry",
        "goodbye",
        "farewell",
        "miss you",
        "alone",
        "cry",
        "crying",
        "tears",
        "sad",
        "lonely",
        "forgive",
        "leaving",
        "never see",
        "gone",
        "don't go",
        "i wish",
        "wish i",
        "too late",
        "lost",
        "remember",
        "last time",
        "sniff",
        "without you",
        "apologi",
        "regret",
    ),
    "surprise": (
        "what",
        "wow",
        "whoa",
        "huh",
        "eh",
        "really",
        "no way",
        "seriously",
        "oh",
        "wait",
        "impossible",
        "unbelievable",
        "can't believe",
        "suddenly",
        "look at",
        "amazing",
        "you're kidding",
        "since when",
    ),
}
_JA: dict[str, tuple[str, ...]] = {
    "anger": (
        "ふざけ",
        "うるさい",
        "バカ",
        "ばか",
        "許さ",
        "怒",
        "黙れ",
        "てめえ",
        "くそ",
        "クソ",
        "ちっ",
    ),
    "disgust": ("気持ち悪", "きもい", "キモ", "うわ", "最低", "汚", "嫌"),
    "fear": ("助けて", "怖", "こわ", "逃げ", "やばい", "ヤバ", "危ない", "来るな", "ひっ", "ヒッ"),
    "happiness": (
        "ハハ",
        "はは",
        "あはは",
        "ふふ",
        "嬉し",
        "うれし",
        "楽し",
        "ありがと",
        "好き",
        "おいし",
        "やった",
        "笑",
    ),
    "sadness": (
        "ごめん",
        "さよなら",
        "さようなら",
        "寂し",
        "さみし",
        "悲し",
        "泣",
        "涙",
        "会いたい",
    ),
    "surprise": (
        "えっ",
        "え？",
        "ええ",
        "まさか",
        "なに",
        "何",
        "うそ",
        "嘘",
        "本当",
        "ほんと",
        "すごい",
        "すげ",
    ),
}

_WORD = re.compile(r"[a-z']+")
_LAUGH = re.compile(r"\b(?:a?h[ae]){2,}h?\b|\b(?:he){2,}\b|\blo+l\b|(?:ハ|は|フ|ふ){2,}|w{3,}")
_STRETCH = re.compile(r"([a-z])\1{2,}")  # "nooo", "heeelp"
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
_MEASURE = re.compile(r"(?<![a-z'])((?!that's\b|thats\b|had\b|is\b|be\b)[a-z']+) enough\b")


def _stem_hits(text: str, stems: Iterable[str]) -> int:
    hits = 0
    for stem in stems:
        if " " in stem:
            hits += stem in text
        else:
            hits += bool(re.search(rf"\b{re.escape(stem)}", text))
    return hits


def line_scores(text: str) -> dict[str, float]:
    """Raw evidence per class for one line of dialogue (no neutral prior)."""
    raw = text.strip()
    low = raw.lower()
    scores = {e: 0.0 for e in EMOTIONS}
    if not raw:
        return scores
    low = _MEASURE.sub(r"\1", low)  # "strong enough" measures; "that's enough!" is anger
    for emotion, stems in _EN.items():
        scores[emotion] += 1.0 * _stem_hits(low, stems)
    for emotion, stems in _JA.items():
        scores[emotion] += 1.0 * sum(s in raw for s in stems)
    if _LAUGH.search(low) or _LAUGH.search(raw):
        scores["happiness"] += 1.5
    interrobang = len(re.findall(r"!\?|\?!|！？|？！", raw))
    bangs = raw.count("!") + raw.count("！") - 2 * interrobang
    questions = raw.count("?") + raw.count("？") - 2 * interrobang
    ellipses = len(re.findall(r"\.\.\.|…|・・・", raw))
    scores["surprise"] += 1.5 * interrobang
    if bangs > 0:
        # An exclamation intensifies what the words say; alone it reads as surprise.
        worded = max(scores, key=lambda e: scores[e])
        if scores[worded] > 0:
            scores[worded] += 0.5 * min(bangs, 3)
        else:
            scores["surprise"] += 0.5 * min(bangs, 3)
    if ellipses:
        top = max(scores, key=lambda e: scores[e])
        if scores[top] > 0:
            scores[top] += 0.3 * min(ellipses, 3)
        else:
            scores["sadness"] += 0.3 * min(ellipses, 3)
            scores["neutral"] += 0.3 * min(ellipses, 3)
    if questions and scores["surprise"] == 0:
        scores["surprise"] += 0.2
    if _STRETCH.search(low):
        scores["fear" if bangs else "sadness"] += 0.5
    if _SHOUT.search(raw) and bangs:
        top = max(("anger", "fear", "surprise"), key=lambda e: scores[e])
        scores[top] += 0.7
    return scores


def line_profile(text: str, prior: float = 0.8) -> Profile:
    """A normalised profile for one line; `prior` is the neutral mass a plain line keeps."""
    scores = line_scores(text)
    scores["neutral"] += prior
    return normalise(scores)


def evidence(text: str) -> str | None:
    """A short note of the strongest cue in a line, for people reading the record."""
    scores = line_scores(text)
    best = max(scores, key=lambda e: scores[e])
    if scores[best] <= 0.25:
        return None
    snippet = " ".join(text.split())[:40]
    return f"{best}: “{snippet}”"
