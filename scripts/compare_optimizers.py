"""`python scripts/compare_optimizers.py …` is `diffprog compare-optimizers …`: the command lives in diffprog/cli/compare_optimizers.py."""
import sys

from diffprog.cli.compare_optimizers import main

if __name__ == "__main__":
    sys.exit(main())
