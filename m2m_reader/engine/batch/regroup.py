"""Gathering a book's rows again: after its pages were read, after its scenes' music.

Ray Data has no streaming group-by (`groupby` waits for the whole data set), so one
actor holds each book's rows until the last has come, and the book goes on at once.
This module imports nothing heavy: the actor starts fast and holds little.
"""

from __future__ import annotations

import json
from typing import Any

Row = dict[str, Any]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class Regroup:
    """Gathers the rows of each book and gives one row once all of them came: `count`
    names the column that says how many, `index` the one that numbers them (-1: the
    book failed before it was split). The book's row keeps the first row's columns,
    with `summed` added up, the first error, and the count under `total`. One actor
    holds the rows still waiting."""

    def __init__(self, count: str, index: str, total: str, summed: tuple[str, ...]) -> None:
        self.count, self.index, self.total, self.summed = count, index, total, summed
        self.pending: dict[int, list[Row]] = {}

    def __call__(self, row: Row) -> list[Row]:
        row = {k: _plain(v) for k, v in row.items()}
        rows = self.pending.setdefault(int(row["book_id"]), [])
        rows.append(row)
        if len(rows) < int(row[self.count]):
            return []
        del self.pending[int(row["book_id"])]
        out = {k: v for k, v in rows[0].items() if k not in (self.count, self.index)}
        for k in self.summed:
            out[k] = sum(float(r.get(k) or 0) for r in rows)
        errors = [str(r["error"]) for r in rows if r.get("error")]
        out["error"] = errors[0] if errors else ""
        out[self.total] = 0 if int(row[self.index]) < 0 else len(rows)
        return [out]


class Gather:
    """The LLM stage's answered request rows of each book (`llm_stage`) → one book row
    once all have come, with `answers` (JSON, request digest → the answer's content;
    a failed request left out) and `asked` (how many requests). A row the processor
    passed on failed (`failed_column` set) has no answer."""

    def __init__(self, carry: tuple[str, ...], failed_column: str) -> None:
        self.carry, self.failed_column = carry, failed_column
        self.pending: dict[int, list[Row]] = {}

    def __call__(self, row: Row) -> list[Row]:
        row = {k: _plain(v) for k, v in row.items()}
        rows = self.pending.setdefault(int(row["book_id"]), [])
        rows.append(row)
        if len(rows) < int(row["n_ask"]):
            return []
        del self.pending[int(row["book_id"])]
        answers = {
            str(r["digest"]): str(r["answer"])
            for r in rows
            if r.get("digest") and r.get("answer") and not r.get(self.failed_column)
        }
        out = {k: rows[0].get(k) for k in self.carry}
        return [{**out, "asked": sum(1 for r in rows if r.get("digest")),
                 "answers": json.dumps(answers)}]  # fmt: skip


__all__ = ["Gather", "Regroup"]
