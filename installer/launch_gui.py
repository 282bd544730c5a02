"""Entry point of the frozen GUI (PyInstaller runs a script, not a console-script entry)."""

import multiprocessing
import sys

from gcmc_desktop.app import main

if __name__ == "__main__":
    # A child process (the OCR worker) is this same executable: it must not start the program.
    multiprocessing.freeze_support()
    sys.exit(main())
