"""Entry point of the frozen GUI (PyInstaller runs a script, not a console-script entry)."""

import sys

from gcmc_desktop.app import main

sys.exit(main())
