"""Export a book's soundtrack: the same mixer a reader hears, pulled into a file.

Two passes, so a long book never sits in memory:

1. Compose and mix. Each page's cue is asked for by the cue recipe (`cue_recipe`,
   the same as live playback's): found in the store when the reader prepared the
   book (or an earlier export made it), else made and kept there. It is handed to
   the `Mixer`, and the page is turned at its start time on the timeline; every
   block is pulled into a raw float32 file beside the target and measured (BS.1770).
2. Normalise and encode. The raw mix is read back with the gain that brings it to
   the target loudness, limited so the true peak stays under the ceiling, measured
   again, and written in blocks to a temporary file renamed at the end.

The chapters sidecars (`NAME.chapters.json`, `NAME.cue`) and optional per-page stems
(`NAME_stems/page_0001.wav`, each normalised on its own) are written under temporary
names too, and the set is renamed together at the end, the audio last: never new
audio with old or missing chapters. Cancel, Ctrl-C or a full disk leaves nothing
under the final names (an earlier export there stays as it was), and a kill -9 leaves
locked temporaries that the next export in that folder removes (`writer.sweep_stale`).

The parts: `soundtrack` (the whole export, its result), `compose` (pass 1), `encode`
(pass 2), `files` (temporaries, sidecars, disk space), `progress`.
"""

from __future__ import annotations

from ..audio.writer import OutputError
from ..cue_recipe import scene_seed
from .files import space_needed, write_error
from .soundtrack import ExportResult, export_soundtrack

__all__ = [
    "ExportResult", "OutputError", "export_soundtrack", "scene_seed", "space_needed", "write_error",
]  # fmt: skip
