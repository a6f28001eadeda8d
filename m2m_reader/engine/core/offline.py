"""Offline mode: while it is on, this process opens no network connection at all.

Not a promise but a guard: a Python audit hook refuses every
`socket.connect` to an internet address (IPv4 or IPv6, loopback included) while
offline mode is on, raising `OfflineViolation`. Local sockets (AF_UNIX: the audio
server, D-Bus) stay allowed. The engine turns it on when the `offline` setting is set
or `--offline` is given, and at once when the setting changes in a running engine;
model libraries are told to stay off the Hub as well (`HF_HUB_OFFLINE`), and the
environment is as it was once offline mode is off again.

The hook is installed by the programs at their start (`m2m_reader.runtime.apply`), and
at the latest by the first `enable` (a library use of the engine); importing this
module installs nothing. An audit hook cannot be removed: while online it does nothing.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import M2MError

_INET = (socket.AF_INET, socket.AF_INET6)
_lock = threading.Lock()
_install_lock = threading.Lock()  # apart from _lock: `enable` installs while holding it
_holders = 0  # offline mode is on while this is above zero
_installed = False
blocked: list[str] = []  # what was refused, for messages and tests
_HUB_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_saved_env: dict[str, str | None] = {}  # the Hub variables before offline mode set them


class OfflineViolation(M2MError):
    """Something tried to use the network in offline mode."""


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _holders <= 0 or event != "socket.connect":
        return
    sock, address = args[0], args[1]
    if getattr(sock, "family", None) in _INET:
        where = address[0] if isinstance(address, tuple) and address else str(address)
        blocked.append(where)
        raise OfflineViolation(f"Offline mode: a connection to {where} was refused.")


def install_guard() -> None:
    """Install the audit hook (once; later calls do nothing)."""
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_audit)  # cannot be removed; it does nothing while online
            _installed = True


def guard_installed() -> bool:
    return _installed


def enable() -> None:
    """Turn offline mode on (nested: each `enable` needs its `disable`)."""
    global _holders
    with _lock:
        install_guard()
        _holders += 1
        if _holders == 1:
            _saved_env.clear()
            _saved_env.update({name: os.environ.get(name) for name in _HUB_VARS})
        # Hugging Face libraries: use the local cache only, never try the Hub.
        for name in _HUB_VARS:
            os.environ[name] = "1"


def disable() -> None:
    global _holders
    with _lock:
        was, _holders = _holders, max(0, _holders - 1)
        if was and not _holders:
            for name, value in _saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def is_offline() -> bool:
    return _holders > 0


@contextmanager
def offline() -> Iterator[None]:
    """`with offline(): ...` runs the block with the network refused."""
    enable()
    try:
        yield
    finally:
        disable()
