"""`python -m diffprog.check` (see command.py)."""
import sys

from .command import main

sys.exit(main())
