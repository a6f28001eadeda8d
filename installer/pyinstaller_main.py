"""The entry point of the PyInstaller build (installer/m2m-reader.spec): `m2m-reader`."""

import multiprocessing
import sys

from m2m_reader.cli import main

if __name__ == "__main__":
    # The composer runs in a spawned child process; a frozen app must hand such a child
    # to multiprocessing before anything else runs.
    multiprocessing.freeze_support()
    sys.exit(main())
