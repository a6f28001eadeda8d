"""Process-wide tuning happens in `m2m_reader.runtime`, applied by the programs only:
importing the engine changes nothing in the process; the command line applies it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from m2m_reader import cli, runtime
from m2m_reader.commands import info
from m2m_reader.engine.core import offline

ROOT = Path(__file__).resolve().parents[1]


def _run_python(code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter; it prints one JSON object on its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_every_engine_module_changes_nothing_in_the_process() -> None:
    seen = _run_python(
        """
        import importlib, json, os, pkgutil, sys
        try:  # OpenCV's own loader adds its folder to LD_LIBRARY_PATH: not ours to judge
            import cv2
        except ImportError:
            pass
        interval, env = sys.getswitchinterval(), dict(os.environ)
        import m2m_reader.engine as engine
        imported, missing = [], []
        for mod in pkgutil.walk_packages(engine.__path__, "m2m_reader.engine."):
            try:
                importlib.import_module(mod.name)
                imported.append(mod.name)
            except ImportError as exc:  # an optional dependency not installed here
                missing.append(f"{mod.name}: {exc.name}")
        import m2m_reader.cli, m2m_reader.runtime
        from m2m_reader.engine.core import offline
        changed = sorted(k for k in set(env) | set(os.environ) if env.get(k) != os.environ.get(k))
        print(json.dumps({
            "interval_same": sys.getswitchinterval() == interval, "changed": changed,
            "guard": offline.guard_installed(), "imported": imported, "missing": missing,
        }))
        """
    )
    assert len(seen["imported"]) > 50, seen["missing"]  # type: ignore[arg-type]
    assert seen["interval_same"]
    assert seen["changed"] == []
    assert seen["guard"] is False


def _probe(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Replace the `info` command with one that records the process as it runs."""
    seen: dict[str, object] = {}

    def run(args: object) -> int:
        seen["offline"] = offline.is_offline()
        seen["hub"] = os.environ.get("HF_HUB_OFFLINE")
        seen["guard"] = offline.guard_installed()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(("127.0.0.1", 9))
            except offline.OfflineViolation:
                seen["connect"] = "refused by offline mode"
            except OSError:
                seen["connect"] = "went out"
        return 0

    monkeypatch.setattr(info, "run", run)
    return seen


def test_a_command_started_offline_is_offline_from_first_to_last_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    seen = _probe(monkeypatch)
    monkeypatch.setattr(cli, "_starts_offline", lambda args: True)  # as --offline does
    assert cli.main(["info", "book.cbz"]) == 0
    assert seen == {
        "offline": True, "hub": "1", "guard": True, "connect": "refused by offline mode",
    }  # fmt: skip
    assert not offline.is_offline()
    assert "HF_HUB_OFFLINE" not in os.environ  # as it was before the command


def test_the_saved_offline_setting_makes_a_command_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from m2m_reader.engine.core import settings

    saved = settings.load()
    saved.offline = True
    settings.save(saved)
    seen = _probe(monkeypatch)
    assert cli.main(["info", "book.cbz"]) == 0
    assert seen["offline"] is True and seen["connect"] == "refused by offline mode"


def test_an_online_command_connects(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _probe(monkeypatch)
    assert cli.main(["info", "book.cbz"]) == 0
    assert seen["offline"] is False and seen["connect"] == "went out"
    assert seen["guard"] is True  # installed by the command line, idle while online


def test_the_command_line_tunes_the_process() -> None:
    seen = _run_python(
        """
        import json, os, sys
        os.environ.pop("HF_HUB_DISABLE_TELEMETRY", None)
        from m2m_reader import cli, runtime
        from m2m_reader.engine.core import offline
        before = (sys.getswitchinterval(), offline.guard_installed(),
                  os.environ.get("HF_HUB_DISABLE_TELEMETRY"))
        during = {}
        real = runtime.apply

        def apply(**how):
            real(**how)
            during["telemetry"] = os.environ.get("HF_HUB_DISABLE_TELEMETRY")

        runtime.apply = apply
        cli.main(["cache", "size"])
        print(json.dumps({
            "before": before, "interval_kept": sys.getswitchinterval() == before[0],
            "guard": offline.guard_installed(), "telemetry": during.get("telemetry"),
            "after": os.environ.get("HF_HUB_DISABLE_TELEMETRY"),
        }))
        """
    )
    assert seen["before"][1:] == [False, None]  # type: ignore[index]
    assert seen["interval_kept"] and seen["guard"] and seen["telemetry"] == "1"
    assert seen["after"] is None  # as it was, once the command is done


def test_the_window_tunes_the_process_with_its_switch_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("PySide6")
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.ui import app

    class Stop(Exception):
        pass

    asked: list[dict[str, object]] = []

    def apply(**how: object) -> None:
        asked.append(how)
        raise Stop  # before any window opens

    monkeypatch.setattr(runtime, "apply", apply)
    with pytest.raises(Stop):
        app.run(None, Settings())
    assert asked == [{"switch_interval": runtime.WINDOW_SWITCH_INTERVAL_S, "settle_heap": True}]


def test_settling_the_heap_freezes_it_and_still_collects_what_dies_later() -> None:
    seen = _run_python(
        """
        import gc, json, weakref
        from m2m_reader import runtime

        class Node:
            pass

        def cycle():
            a, b = Node(), Node()
            a.other, b.other = b, a
            return a

        unasked = runtime.settle_heap()  # a library or a test: nothing happens
        unasked_frozen = gc.get_freeze_count()
        runtime.apply(settle_heap=True)
        dead_before = weakref.ref(cycle())  # garbage already: collected by the settle
        kept = cycle()
        runtime.settle_heap()
        frozen = gc.get_freeze_count()
        gc.collect()
        live_after_full_pass = len(gc.get_objects())  # the frozen heap is not walked
        later = weakref.ref(kept)
        del kept  # dies among the frozen: a frozen cycle waits for the next settle
        gc.collect()
        frozen_cycle_waits = later() is not None
        runtime.settle_heap()  # (the next book opened)
        print(json.dumps({
            "unasked": unasked, "unasked_frozen": unasked_frozen,
            "dead_before": dead_before() is None, "frozen": frozen,
            "walked": live_after_full_pass, "waits": frozen_cycle_waits,
            "collected_at_next_settle": later() is None,
        }))
        """
    )
    assert seen["unasked"] is False and seen["unasked_frozen"] == 0
    assert seen["dead_before"], "garbage present at the settle is collected, not frozen"
    assert seen["frozen"] > 5000 and seen["walked"] < seen["frozen"] / 10  # type: ignore[operator]
    assert seen["waits"] and seen["collected_at_next_settle"], "no cycle is held for good"


def test_the_window_settles_its_heap_as_a_book_opens(qtbot, tmp_path, monkeypatch) -> None:
    pytest.importorskip("PySide6")
    from m2m_reader.engine.books import open_book
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.ui.bridge import EngineBridge
    from m2m_reader.ui.prefs import Prefs
    from m2m_reader.ui.reader_window import ReaderWindow

    settles: list[int] = []
    monkeypatch.setattr(runtime, "settle_heap", lambda: settles.append(1) or True)
    bridge = EngineBridge(None, Settings())
    bridge.save_settings = False
    win = ReaderWindow(Settings(), bridge, Prefs(tmp_path / "ui.json"))
    qtbot.addWidget(win)
    win.set_book(open_book(ROOT / "resources" / "sample" / "images" / "HaruNoMelody"))
    assert settles == [1]
