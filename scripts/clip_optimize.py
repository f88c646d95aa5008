"""`python scripts/clip_optimize.py …` is `diffprog clip …`: the command lives in diffprog/cli/clip.py."""
import sys

from diffprog.cli.clip import main

if __name__ == "__main__":
    sys.exit(main())
