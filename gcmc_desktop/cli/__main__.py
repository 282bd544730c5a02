import sys

from . import main

if __name__ == "__main__":  # a spawned child (the OCR worker) imports this module too
    sys.exit(main())
