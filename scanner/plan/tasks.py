"""The task the guarded workers run to read a file's plan facts (a module-level function,
so it can be sent to a worker; libcst is imported only by a worker that needs it)."""

from __future__ import annotations

from scanner.model import SkippedFile
from scanner.options import ParseLimits
from scanner.plan.filefacts import FileFacts
from scanner.plan.quick import quick_facts


def examine(task: tuple[str, str, ParseLimits]) -> FileFacts | SkippedFile:
    """The facts of one file (`(relpath, text, limits)`): read by CPython's parser when it
    can, else by libcst (which also says why a file cannot be analysed)."""
    relpath, text, limits = task
    quick = quick_facts(relpath, text, limits)
    if quick is not None:
        return quick
    from scanner.plan.facts import libcst_facts

    return libcst_facts(relpath, text, limits)

