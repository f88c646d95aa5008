"""Verify a hand-written backward against autograd and finite differences.

- checker.py: `check_function` and its report (the part users call for their own ops).
- builtin.py: every built-in op's cases and torch twin (`SPECS`), checked by the test suite.
- command.py: `python -m diffprog.check`, every built-in op on every device.

    from diffprog.check import check_function, call
"""
from .checker import DTYPES, ERROR_FLOOR, Call, CaseResult, Factory, InputResult, Report, call, check_function

__all__ = ["DTYPES", "ERROR_FLOOR", "Call", "CaseResult", "Factory", "InputResult", "Report", "call",
           "check_function"]
