"""Reading pages that have no annotations: text, balloons, sound effects, panels, faces.

`PageReader` turns one page image into a `PageReading` (see `record`): the texts in
reading order with their boxes, kinds (balloon, caption box, sound effect, note) and
confidence; the panels with their visual evidence; the faces found. The analysis
pipeline caches one reading per page and builds transcripts and cues from it.
"""

from .reader import PageReader
from .record import FoundFace, PageReading, PanelEvidence, ReadText

__all__ = ["FoundFace", "PageReader", "PageReading", "PanelEvidence", "ReadText"]
