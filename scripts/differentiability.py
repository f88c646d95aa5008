"""`python scripts/differentiability.py …` is `diffprog differentiability …`: the command lives in diffprog/cli/differentiability.py."""
import sys

from diffprog.cli.differentiability import main

if __name__ == "__main__":
    sys.exit(main())
