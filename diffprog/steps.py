"""The one step loop every long-running loop of diffprog uses: a progress bar, and Ctrl-C that
stops early but keeps the work done so far.

    with StepLoop(steps, "render", progress) as loop:
        for step in loop:
            ...                                  # one optimizer step
            loop.show(objective=f"{value:.3f}")  # shown beside the bar
    if loop.interrupted: ...                     # Ctrl-C ended the loop; the results so far stand

The context manager swallows the KeyboardInterrupt raised inside the `with` block (and only that),
closes the bar, and sets `interrupted`.
"""
from __future__ import annotations

from collections.abc import Iterator

from tqdm.auto import tqdm


class StepLoop:
    """range(total) under a tqdm bar (hidden with progress=False); see the module docstring."""

    def __init__(self, total: int, desc: str, progress: bool = True, leave: bool = False):
        self.total = total
        self.interrupted = False
        self._bar = tqdm(total=total, desc=desc, disable=not progress, leave=leave)

    def __enter__(self) -> StepLoop:
        return self

    def __iter__(self) -> Iterator[int]:
        for step in range(self.total):
            yield step
            self._bar.update()

    def show(self, **values) -> None:
        """Values to show beside the bar (written at the bar's next refresh)."""
        self._bar.set_postfix(values, refresh=False)

    def __exit__(self, kind, error, traceback) -> bool:
        self._bar.close()
        if kind is KeyboardInterrupt:
            self.interrupted = True
            return True
        return False
