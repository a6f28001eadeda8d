"""`m2m-reader batch`: a whole library's soundtracks on Ray Data, resumable.

    from m2m_reader.engine.batch import BatchOptions, run_batch
    report = run_batch(settings, BatchOptions(source=Path("library"), out=Path("out")))

See `pipeline` for the stages, `manifest` for what a rerun skips, and docs/batch.md.
Ray is imported only when a run has work to do (the `batch` extra).
"""

from .inputs import BookJob, find_books
from .manifest import Manifest, composed_keys, job_key, outputs, outputs_valid
from .pipeline import BatchOptions, BatchReport, run_batch

__all__ = [
    "BatchOptions", "BatchReport", "BookJob", "Manifest", "composed_keys", "find_books",
    "job_key", "outputs", "outputs_valid", "run_batch",
]  # fmt: skip
