"""The JSON schema of each step's answer.

They are written to be accepted by OpenAI's strict structured outputs (every property
required, no additional properties); bounds that strict mode does not take (minimum,
maximum, maxItems) are dropped from the request and checked on arrival instead.
"""

from __future__ import annotations

from typing import Any

from ..analysis.emotions import EMOTIONS

GENRES = ("comedy", "humor", "romance", "sci-fi", "horror", "action", "drama", "conversation")

# Word limits of M2M-Gen's outputs (demo page: directives 24-60, captions 20-58).
DIRECTIVE_WORDS = (24, 60)
CAPTION_WORDS = (20, 60)
DESCRIPTION_WORDS = (12, 100)
MUSIC_WORDS = (15, 80)


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_COORD = {"type": "integer", "minimum": 0, "maximum": 1000}
_SCORE = {"type": "number", "minimum": 0, "maximum": 1}

TRANSCRIPT = _obj(
    {
        "lines": {
            "type": "array",
            "maxItems": 80,
            "items": _obj({"speaker": _STR, "text": _STR}),
        },
        "faces": {
            "type": "array",
            "maxItems": 30,
            "items": _obj(
                {
                    "box": _obj({"x0": _COORD, "y0": _COORD, "x1": _COORD, "y1": _COORD}),
                    "emotions": _obj({e: _SCORE for e in EMOTIONS}),
                }
            ),
        },
    }
)

SCENES = _obj(
    {
        "scenes": {
            "type": "array",
            "maxItems": 60,
            "items": _obj({"start_page": {"type": "integer"}, "reason": _STR}),
        }
    }
)

DIRECTIVE = _obj({"directive": _STR})
CAPTION = _obj({"caption": _STR})
DESCRIPTION = _obj({"description": _STR})
SECTION_ANALYSIS = _obj(
    {
        "genre": {"type": "string", "enum": list(GENRES)},
        "atmosphere": _STR,
        "focus": {"type": "string", "enum": ["dialogue", "visual"]},
        "plot": _STR,
    }
)
SECTION_MUSIC = _obj({"music": _STR})

ALL: dict[str, dict[str, Any]] = {
    "transcript": TRANSCRIPT,
    "scenes": SCENES,
    "directive": DIRECTIVE,
    "caption": CAPTION,
    "page_description": DESCRIPTION,
    "section_analysis": SECTION_ANALYSIS,
    "section_music": SECTION_MUSIC,
}
