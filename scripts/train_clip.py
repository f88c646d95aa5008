"""`python scripts/train_clip.py …` is `diffprog train-clip …`: the command lives in diffprog/cli/train_clip.py."""
import sys

from diffprog.cli.train_clip import main

if __name__ == "__main__":
    sys.exit(main())
