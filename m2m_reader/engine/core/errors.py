"""Errors a person can read.

Every error the engine raises for bad input or a backend that cannot start is an
`M2MError`: its message is one sentence naming the file (or backend) and the problem,
fit to show in a status bar or print on a terminal without a traceback.
"""

from __future__ import annotations


class M2MError(Exception):
    """Base class: `str(error)` is one clear sentence for the person."""


class BookError(M2MError):
    """A book cannot be opened: unreadable, unsupported, damaged or refused as unsafe."""


class UnsafeInputError(BookError):
    """Input refused on purpose: escaping paths, archive or decompression bombs, XML entities."""


class PageError(M2MError):
    """One page cannot be decoded; the rest of the book still reads."""


class RecordError(M2MError):
    """An analysis record (or a person's edit of one) is malformed."""


class BackendUnavailable(M2MError):
    """A backend cannot start (package, weights, key or device missing).

    `detail` holds the longer explanation; `str()` is the short sentence.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class Cancelled(Exception):
    """A job's cancel token fired; not an error to show."""
