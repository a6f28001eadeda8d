"""Test-wide set-up: every test gets its own cache, data and config folders, and Qt
runs offscreen."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))  # for the helper modules beside the tests

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_XML = (
    next((ROOT / "resources" / "sample" / "annotations").glob("*.xml"), None)
    if (ROOT / "resources" / "sample" / "annotations").is_dir()
    else None
)


@pytest.fixture(autouse=True)
def _user_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path_factory.mktemp("user")
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"M2M_READER_{name}_DIR", str(base / name.lower()))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def sample_book_path() -> Path:
    if SAMPLE_XML is None:
        pytest.skip("the sample book is not generated")
    return SAMPLE_XML


# Once every test has run and the summary is printed, leave without interpreter
# finalization: a C extension among those the suite loads together (Qt, PortAudio,
# the SoundFont synth) sometimes frees a shared object twice while the interpreter
# tears down ("bool_dealloc: deallocating True or False"), which would turn a green
# run into exit code 134. Seen only at teardown, never while a test runs.
_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _exit_status and os.environ.get("M2M_TESTS_FINALIZE") != "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])
