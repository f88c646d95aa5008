"""`python scripts/visualize_unit.py …` is `diffprog visualize …`: the command lives in diffprog/cli/visualize.py."""
import sys

from diffprog.cli.visualize import main

if __name__ == "__main__":
    sys.exit(main())
