"""Command-line options shared by the image-optimization scripts: where and how the network runs."""
from __future__ import annotations

import argparse

from .optvis.truncate import COMPILE_MODES

AMP_CHOICES = {"auto": None, "on": True, "off": False}  # --amp → render's amp argument


def add_run_options(parser: argparse.ArgumentParser, network: str, compiled: str) -> None:
    """--device, --amp and --compile; `network` names what runs under autocast ("CLIP"), `compiled`
    what --compile compiles ("CLIP's image tower")."""
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--amp", choices=list(AMP_CHOICES), default="auto",
                        help=f"bfloat16 autocast for {network} (default auto: on for CUDA)")
    parser.add_argument("--compile", choices=COMPILE_MODES, default=None,
                        help=f"compile {compiled} with torch.compile in this mode (reduce-overhead: CUDA graphs, "
                        "for small batches on a GPU); default off; falls back to eager with a warning")
