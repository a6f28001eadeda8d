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
