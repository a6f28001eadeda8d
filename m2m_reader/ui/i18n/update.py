"""`python -m m2m_reader.ui.i18n.update`: refresh the .ts sources from the code and
compile them to .qm (pyside6-lupdate and pyside6-lrelease, beside this Python).

Run it after changing a translated string; then translate what it reports as
unfinished (pyside6-linguist, or by hand in the .ts) and run it again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from . import HERE, LANGUAGES, SOURCES


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (it comes with PySide6)")
    return found


def main() -> int:
    ui = HERE.parent
    for language in LANGUAGES[1:]:
        ts = HERE / f"m2m_reader_{language}.ts"
        subprocess.run(
            [tool("pyside6-lupdate"), "-no-obsolete", *SOURCES, "-ts", str(ts.relative_to(ui))],
            cwd=ui,
            check=True,
        )
        subprocess.run(
            [tool("pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
