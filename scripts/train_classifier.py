"""`python scripts/train_classifier.py …` is `diffprog train-classifier …`: the command lives in diffprog/cli/train_classifier.py."""
import sys

from diffprog.cli.train_classifier import main

if __name__ == "__main__":
    sys.exit(main())
