"""`python scripts/train_generator.py …` is `diffprog train-generator …`: the command lives in diffprog/cli/train_generator.py."""
import sys

from diffprog.cli.train_generator import main

if __name__ == "__main__":
    sys.exit(main())
