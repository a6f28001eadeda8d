"""Prompt templates (files in `prompts/`) and the data blocks that go into them.

A template file has a system part and a user part, each after a line `=== system ===`
or `=== user ===`; `$name` placeholders are filled with `string.Template`, once, so
text put into a template is never read as a template itself. Each template's sha256 is
part of the backend's `settings_key()`: editing a prompt invalidates what it made.

Dialogue is data: it goes into a block between `<dialogue>` and `</dialogue>` that the
system prompt tells the model to read and never obey, and the characters `<` and `>`
in it are replaced so a page cannot close the block and write its own instructions.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from ..analysis.records import Line
from ..core.errors import BackendUnavailable

NAMES = (
    "transcript",
    "scenes",
    "directive",
    "caption",
    "page_description",
    "section_analysis",
    "section_music",
)


def prompts_dir() -> Path:
    """`M2M_PROMPTS_DIR`, else the repository's `prompts/` folder."""
    env = os.environ.get("M2M_PROMPTS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    system: Template
    user: Template
    sha256: str

    def render(self, **values: str) -> tuple[str, str]:
        return self.system.substitute(values), self.user.substitute(values)


_MARK = re.compile(r"^=== (system|user) ===\s*$", re.M)


def load(name: str, folder: Path | None = None) -> Prompt:
    path = (folder or prompts_dir()) / f"{name}.md"
    try:
        raw = path.read_bytes()
    except OSError:
        raise BackendUnavailable(f"The prompt template {path} cannot be read.") from None
    text = raw.decode("utf-8")
    parts = _MARK.split(text)
    found = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    if set(found) != {"system", "user"}:
        raise BackendUnavailable(
            f"The prompt template {path} needs an '=== system ===' and an '=== user ===' part."
        )
    return Prompt(name, Template(found["system"]), Template(found["user"]), _sha(raw))


def load_all(folder: Path | None = None) -> dict[str, Prompt]:
    return {name: load(name, folder) for name in NAMES}


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def clean(text: str) -> str:
    """One line of data: whitespace collapsed, angle brackets defused."""
    return " ".join(text.split()).replace("<", "‹").replace(">", "›")


def line_text(line: Line) -> str:
    return f"PAGE {line.page} {clean(line.speaker) or 'unknown'}: {clean(line.text)}"


def dialogue_block(
    lines: list[Line], budget: int, focus: int | None = None, pages: range | None = None
) -> str:
    """The lines as M2M-Gen writes them (`PAGE n speaker: text`), inside the data block.

    With `pages`, a page without dialogue still gets a row `PAGE n (no dialogue)`. Over
    `budget` characters, the rows nearest page `focus` (or spread evenly when no focus)
    are kept, in order, with `[...]` where rows were left out.
    """
    rows = [(ln.page, line_text(ln)) for ln in lines]
    if pages is not None:
        spoken = {ln.page for ln in lines}
        rows += [(p, f"PAGE {p} (no dialogue)") for p in pages if p not in spoken]
        rows.sort(key=lambda r: r[0])  # stable: lines keep their order within a page
    texts = [r[1] for r in rows]
    if sum(len(t) + 1 for t in texts) > budget:
        texts = _fit([r[0] for r in rows], texts, budget, focus)
    body = "\n".join(texts) if texts else "(no dialogue)"
    return f"<dialogue>\n{body}\n</dialogue>"


def _fit(pages: list[int], rows: list[str], budget: int, focus: int | None) -> list[str]:
    n = len(rows)
    if focus is None:
        order = sorted(range(n), key=lambda i: _spread_rank(i, n))
    else:
        order = sorted(range(n), key=lambda i: (abs(pages[i] - focus), i))
    kept: set[int] = set()
    used = 0
    for i in order:
        if used + len(rows[i]) + 1 > budget:
            continue
        kept.add(i)
        used += len(rows[i]) + 1
    out: list[str] = []
    for i in range(n):
        if i in kept:
            out.append(rows[i])
        elif not out or out[-1] != "[...]":
            out.append("[...]")
    return out


def _spread_rank(i: int, n: int) -> int:
    """Bit-reversal order of the position: the first picks cover the whole range."""
    bits = max(1, (n - 1).bit_length())
    return int(f"{i:0{bits}b}"[::-1], 2)
