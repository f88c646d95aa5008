"""`python scripts/backprop_example.py …` is `diffprog backprop …`: the command lives in diffprog/cli/backprop.py."""
import sys

from diffprog.cli.backprop import main

if __name__ == "__main__":
    sys.exit(main())
