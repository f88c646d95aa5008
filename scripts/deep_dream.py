"""`python scripts/deep_dream.py …` is `diffprog dream …`: the command lives in diffprog/cli/dream.py."""
import sys

from diffprog.cli.dream import main

if __name__ == "__main__":
    sys.exit(main())
