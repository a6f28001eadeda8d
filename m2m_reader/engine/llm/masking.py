"""Secrets in the HTTP libraries' logs: every known secret (the API key, credentials in
the base URL) is masked in the records of the loggers httpx, httpcore and openai write to."""

from __future__ import annotations

import logging
import threading

from .config import redact

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_HTTP_LOGGERS = ("httpx2", "httpx", "httpcore2", "httpcore", "openai", "openai._base_client")


class _MaskSecrets(logging.Filter):
    """Masks every known secret (and URL credentials) in records of the HTTP loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format is left alone
            return True
        with _SECRETS_LOCK:
            secrets = list(_SECRETS)
        clean = redact(text, *secrets)
        if clean != text:
            record.msg, record.args = clean, None
        return True


_FILTER = _MaskSecrets()


def mask_http_logs(secrets: list[str]) -> None:
    with _SECRETS_LOCK:
        _SECRETS.update(s for s in secrets if len(s) >= 4)  # not every "x" of a log line
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
