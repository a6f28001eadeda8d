"""m2m-reader: a manga reader with a live, generated soundtrack."""

__version__ = "0.1.0"
