"""Entry point of the frozen `gcmc` administration command."""

import sys

from gcmc_desktop.cli import main

sys.exit(main())
