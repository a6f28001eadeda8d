"""On the desktop: the desktop entry, its icon and MIME types, the user-level install
step that registers them (and takes them away again), and the PyInstaller spec."""

from __future__ import annotations

import configparser
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "installer" / "m2m-reader.desktop"
SCRIPT = ROOT / "installer" / "install-desktop.sh"
SHARED_MIME = Path("/usr/share/mime/packages/freedesktop.org.xml")
ARCHIVES = {"application/vnd.comicbook+zip", "application/vnd.comicbook-rar", "application/x-cb7"}


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_opens_comic_archives_and_pdfs():
    entry = read_entry(ENTRY)
    assert entry["Type"] == "Application" and entry["Icon"] == "m2m-reader"
    assert entry["Exec"].split()[-1] == "%f"  # one file per start: a second one hands over
    types = set(entry["MimeType"].rstrip(";").split(";"))
    assert ARCHIVES | {"application/pdf", "application/x-cbr", "application/x-cbz"} <= types
    assert entry["Name"] and entry["Comment[ja]"]
    assert entry["Categories"].endswith(";")


@pytest.mark.skipif(not SHARED_MIME.exists(), reason="no shared MIME database here")
def test_every_type_named_is_known_to_the_shared_mime_database():
    known = SHARED_MIME.read_text("utf-8")
    for mime in read_entry(ENTRY)["MimeType"].rstrip(";").split(";"):
        assert f'"{mime}"' in known, mime


def test_install_registers_the_entry_icon_and_defaults_then_uninstall_removes_them(tmp_path):
    fake_reader = tmp_path / "my apps" / "m2m-reader"  # a path with a space in it
    fake_reader.parent.mkdir()
    fake_reader.write_text("#!/bin/sh\nexit 0\n")
    fake_reader.chmod(0o755)
    env = dict(
        os.environ,
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PATH="/usr/bin:/bin",  # no xdg-utils: the script writes the files itself
    )
    run = subprocess.run(["bash", str(SCRIPT), "--exec", str(fake_reader)], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    installed = tmp_path / "data" / "applications" / "m2m-reader.desktop"
    entry = read_entry(installed)
    assert entry["Exec"] == f'"{fake_reader}" %f'
    assert entry["TryExec"] == str(fake_reader)
    assert "application/pdf" not in entry["MimeType"]  # PDFs only with --pdf
    svg = tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "m2m-reader.svg"
    assert (
        svg.read_bytes() == (ROOT / "m2m_reader" / "ui" / "icons" / "m2m-reader.svg").read_bytes()
    )
    defaults = (tmp_path / "config" / "mimeapps.list").read_text()
    for mime in ARCHIVES:
        assert f"{mime}=m2m-reader.desktop" in defaults
    again = subprocess.run(["bash", str(SCRIPT), "--exec", str(fake_reader), "--pdf"], env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    defaults = (tmp_path / "config" / "mimeapps.list").read_text()
    assert defaults.count("application/x-cb7=") == 1  # installing twice keeps one line
    assert "application/pdf=m2m-reader.desktop" in defaults
    gone = subprocess.run(["bash", str(SCRIPT), "--uninstall"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert gone.returncode == 0, gone.stderr
    assert not installed.exists() and not svg.exists()
    assert "m2m-reader" not in (tmp_path / "config" / "mimeapps.list").read_text()


def test_install_refuses_a_reader_that_is_not_there(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_CONFIG_HOME=str(tmp_path / "c"))
    run = subprocess.run(["bash", str(SCRIPT), "--exec", str(tmp_path / "nothing")], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 1 and "cannot be run" in run.stderr
    assert not (tmp_path / "d" / "applications").exists()


def test_the_icon_is_a_valid_svg(qapp):
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(ROOT / "m2m_reader" / "ui" / "icons" / "m2m-reader.svg"))
    assert renderer.isValid() and renderer.defaultSize().width() == 256


def test_the_pyinstaller_spec_is_python_and_bundles_what_the_app_reads_at_run_time():
    spec = (ROOT / "installer" / "m2m-reader.spec").read_text("utf-8")
    compile(spec, "m2m-reader.spec", "exec")
    for needed in ('"prompts"', '"*.qm"', '"*.svg"', "native_mixer.c", "pyinstaller_main.py"):
        assert needed in spec
    assert "freeze_support()" in (ROOT / "installer" / "pyinstaller_main.py").read_text()
