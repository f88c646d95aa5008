"""The one step loop every long-running loop of diffprog uses: a progress bar, and Ctrl-C (or
SIGTERM, what a job scheduler or `timeout` sends) that stops early but keeps the work done so far.

    with StepLoop(steps, "render", progress) as loop:
        for step in loop:
            ...                                  # one optimizer step
            loop.show(objective=f"{value:.3f}")  # shown beside the bar
    if loop.interrupted: ...                     # a signal ended the loop; the results so far stand

The context manager swallows the KeyboardInterrupt raised inside the `with` block (and only that;
SIGTERM is turned into one while the loop runs), closes the bar, and sets `interrupted`.
`exit_code(interrupted)` is what a command returns afterwards: 130 after Ctrl-C, 143 after SIGTERM.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

from tqdm.auto import tqdm


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so that both stop a loop the same way."""


def _terminate(signum, frame) -> None:
    raise Terminated()


#: The signal that stopped the last interrupted loop (signal.SIGINT or signal.SIGTERM).
_stopped_by = {"signal": signal.SIGINT}


def exit_code(interrupted: bool) -> int:
    """0, or 128 + the number of the signal that stopped the run (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + int(_stopped_by["signal"]) if interrupted else 0


class StepLoop:
    """range(total) under a tqdm bar (hidden with progress=False); see the module docstring."""

    def __init__(self, total: int, desc: str, progress: bool = True, leave: bool = False):
        self.total = total
        self.interrupted = False
        self._bar = tqdm(total=total, desc=desc, disable=not progress, leave=leave)
        self._previous = None

    def __enter__(self) -> StepLoop:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _terminate)
        return self

    def __iter__(self) -> Iterator[int]:
        for step in range(self.total):
            yield step
            self._bar.update()

    def show(self, **values) -> None:
        """Values to show beside the bar (written at the bar's next refresh)."""
        self._bar.set_postfix(values, refresh=False)

    def __exit__(self, kind, error, traceback) -> bool:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
        self._bar.close()
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            self.interrupted = True
            _stopped_by["signal"] = signal.SIGTERM if issubclass(kind, Terminated) else signal.SIGINT
            return True
        return False
