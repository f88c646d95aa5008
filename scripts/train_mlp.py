"""`python scripts/train_mlp.py …` is `diffprog train-mlp …`: the command lives in diffprog/cli/train_mlp.py."""
import sys

from diffprog.cli.train_mlp import main

if __name__ == "__main__":
    sys.exit(main())
