"""Checking a model's answer on arrival.

The answer is parsed as JSON and checked against the subset of JSON Schema the request
used (object, array, string, number, integer, boolean, enum, required,
additionalProperties, items, minimum/maximum, minItems/maxItems). The first problem is
returned as one sentence that can be shown to the model when asking it again.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


class InvalidAnswer(ValueError):
    """The answer is not JSON of the expected shape; `str()` says what is wrong."""


def parse_json(content: str | None) -> Any:
    """The JSON value in `content`, tolerating a Markdown code fence around it."""
    if not content or not content.strip():
        raise InvalidAnswer("the answer was empty; reply with one JSON object")
    text = content.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
    if fence:
        text = fence.group(1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(
            f"the answer was not valid JSON ({exc.msg} at character {exc.pos}); "
            "reply with one JSON object only"
        ) from None


def check(value: Any, schema: dict[str, Any], where: str = "answer") -> None:
    """Raise `InvalidAnswer` naming the first place `value` breaks `schema`."""
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        ok = any(
            isinstance(value, _TYPES[k]) and not (k in ("number", "integer") and _is_bool(value))
            for k in kinds
        )
        if not ok:
            raise InvalidAnswer(f"{where} must be of type {' or '.join(kinds)}")
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        raise InvalidAnswer(f"{where} must be one of {allowed}, not {json.dumps(value)[:60]}")
    if isinstance(value, (int, float)) and not _is_bool(value):
        if "minimum" in schema and value < schema["minimum"]:
            raise InvalidAnswer(f"{where} must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise InvalidAnswer(f"{where} must be at most {schema['maximum']}")
    if isinstance(value, dict):
        props: dict[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                raise InvalidAnswer(f"{where} is missing the field {json.dumps(name)}")
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(props))
            if extra:
                raise InvalidAnswer(f"{where} has an unexpected field {json.dumps(extra[0])}")
        for name, sub in props.items():
            if name in value:
                check(value[name], sub, f"{where}.{name}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise InvalidAnswer(f"{where} must have at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise InvalidAnswer(f"{where} must have at most {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                check(item, schema["items"], f"{where}[{i}]")


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def count_words(text: str) -> int:
    return len(text.split())


def check_words(text: str, lo: int, hi: int, what: str) -> str:
    """`text` with whitespace collapsed, or `InvalidAnswer` if its length is off."""
    text = " ".join(text.split())
    n = count_words(text)
    if n < lo or n > hi:
        raise InvalidAnswer(f"the {what} has {n} words; it must have {lo} to {hi} words")
    return text


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as sent to the server: without the keywords that OpenAI's strict
    structured outputs reject (bounds are still checked here on arrival)."""
    dropped = {"minimum", "maximum", "minItems", "maxItems"}
    out: dict[str, Any] = {}
    for k, v in schema.items():
        if k in dropped:
            continue
        if k == "properties":
            out[k] = {name: strict_schema(sub) for name, sub in v.items()}
        elif k == "items":
            out[k] = strict_schema(v)
        else:
            out[k] = v
    return out
