"""What an edit may hold, and the edits files of earlier versions.

An edit is a small JSON object under a key: `scenes` ({"starts": [pages]}),
`directive:<first>-<last>` and `caption:<page>` ({"text": ...}), `emotions:<page>`
({"profile": {class: weight}}). `valid` checks and normalises one. Earlier versions
kept a book's edits in `DATA/edits/<fingerprint>.json`: `import_legacy` brings such a
file into the database once.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from ..core import database
from ..core.errors import RecordError
from .emotions import EMOTIONS

log = logging.getLogger("m2m_reader.engine.analysis.edits")


def clean(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise RecordError("an edit cannot be empty (clear it instead)")
    return text


def dump(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


def _page(text: str) -> int:
    if not text.isdigit():
        raise RecordError(f"{text!r} is not a page number from 0")
    return int(text)


def valid(key: str, value: Any) -> dict[str, Any]:
    """The edit `key` = `value`, checked and normalised; RecordError says what is wrong."""
    if not isinstance(value, dict):
        raise RecordError("not an object")
    kind, _, arg = key.partition(":")
    if kind == "scenes" and not arg:
        starts = value.get("starts")
        if not isinstance(starts, list) or any(
            not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in starts
        ):
            raise RecordError("scene starts must be page numbers from 0")
        return {"starts": sorted(set(starts) | {0})}
    if kind in ("directive", "caption"):
        if kind == "directive":
            first, sep, last = arg.partition("-")
            if not sep or _page(first) > _page(last):
                raise RecordError(f"{arg!r} is not a page range")
        else:
            _page(arg)
        text = value.get("text")
        if not isinstance(text, str):
            raise RecordError("the text is not a string")
        return {"text": clean(text)}
    if kind == "emotions":
        _page(arg)
        profile = value.get("profile")
        if not isinstance(profile, dict):
            raise RecordError("the profile is not an object")
        unknown = set(profile) - set(EMOTIONS)
        if unknown:
            raise RecordError(f"unknown emotion classes: {', '.join(sorted(unknown))}")
        out: dict[str, float] = {}
        for name, weight in profile.items():
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise RecordError(f"{name} is not a number")
            if not math.isfinite(weight) or weight < 0:
                raise RecordError(f"{name} is {weight}, not a weight from 0")
            out[name] = float(weight)
        return {"profile": out}
    raise RecordError(f"{key!r} is not a kind of edit")


def read_legacy(path: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """The good edits of an earlier version's file, and what was wrong ('' if nothing)."""
    try:
        blob = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"unreadable: {exc}"
    edits = blob.get("edits") if isinstance(blob, dict) else None
    if not isinstance(edits, dict):
        return {}, "no edits object"
    good: dict[str, dict[str, Any]] = {}
    bad: list[str] = []
    for key, value in edits.items():
        try:
            good[str(key)] = valid(str(key), value)
        except RecordError as exc:
            bad.append(f"{key}: {exc}")
    problems = "; ".join(bad[:3]) + (f"; and {len(bad) - 3} more" if len(bad) > 3 else "")
    return good, problems


def set_aside(path: Path, also: tuple[str, ...] = ()) -> Path:
    """Rename `path` (and its companions `path+suffix`) to `path.bad-<time>`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.bad-{stamp}-{n}")
    os.replace(path, aside)
    for suffix in also:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def import_legacy(db: sqlite3.Connection, fingerprint: str, legacy: Path) -> None:
    """Import an earlier version's edits file of a book into the database, once: then
    rename it `.migrated`, or set it aside as `.bad-<time>` when some of it was bad."""
    if not legacy.is_file():
        return
    try:
        st = legacy.stat()
    except OSError:
        return
    stamp = f"{st.st_mtime_ns}:{st.st_size}"
    with database.write(db):  # one process imports a file; the others see it done
        done = db.execute(
            "SELECT 1 FROM imported WHERE book = ? AND source = ? AND stamp = ?",
            (fingerprint, str(legacy), stamp),
        ).fetchone()
        if done is not None:
            return
        good, problems = read_legacy(legacy)
        now = time.time()
        db.executemany(  # an edit made since in the database is newer: it stays
            "INSERT OR IGNORE INTO edits (book, key, value, changed) VALUES (?, ?, ?, ?)",
            [(fingerprint, k, dump(v), now) for k, v in good.items()],
        )
        db.execute(
            "INSERT INTO imported (book, source, stamp, at) VALUES (?, ?, ?, ?)",
            (fingerprint, str(legacy), stamp, now),
        )
    if problems:
        try:
            aside = set_aside(legacy)
        except OSError:
            aside = legacy  # imported all the same; it stays where it is
        kept = f"kept {len(good)} good edit{'' if len(good) == 1 else 's'}" if good else "none kept"
        log.warning("%s has bad edits (%s); %s, set the file aside as %s", legacy, problems, kept, aside.name)  # fmt: skip
    else:
        try:
            os.replace(legacy, legacy.with_name(legacy.name + ".migrated"))
        except OSError as exc:
            log.info("%s imported but not renamed: %s", legacy, exc)
