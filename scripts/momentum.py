"""`python scripts/momentum.py …` is `diffprog momentum …`: the command lives in diffprog/cli/momentum.py."""
import sys

from diffprog.cli.momentum import main

if __name__ == "__main__":
    sys.exit(main())
