"""`python scripts/saliency.py …` is `diffprog saliency …`: the command lives in diffprog/cli/saliency.py."""
import sys

from diffprog.cli.saliency import main

if __name__ == "__main__":
    sys.exit(main())
