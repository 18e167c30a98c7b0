"""Benchmark the taint analysis alone (Engine.run), not parsing or reporting.

    python bench/bench_engine.py                       # generated 120k-line tree, 5 runs
    python bench/bench_engine.py --tree DIR --repeat 7
    PYTHONPATH=/path/to/other/checkout python bench/bench_engine.py --tree DIR

(A checkout used through PYTHONPATH needs `ln -s ../rulesets scanner/rulesets` in it,
or its bundled rulesets resolve to the installed copy's.)

The scan runs in-process with semgrep and parse isolation off, every import group
analysed (whether or not it can reach a source); `Engine.run` is timed
with the syntax trees frozen out of the garbage collector (as the pipeline does), so
two checkouts (before/after an engine change) are compared on the same footing: run
each with PYTHONPATH pointing at it, alternating, on the same `--tree`, and compare the
minimum. It prints the minimum and the median of the runs and the findings count.
Not a test: figures depend on the machine."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("bench_scan", BENCH / "bench_scan.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_scan(tree: Path) -> tuple[float, int]:
    """One in-process scan of `tree`: seconds spent in Engine.run, and findings."""
    from scanner.api import ScanOptions, run_scan
    from scanner.propagate import engine as engine_module

    spent: list[float] = []
    original = engine_module.Engine.run

    def run(self: Any) -> Any:
        gc.collect()
        gc.freeze()
        start = time.perf_counter()
        try:
            return original(self)
        finally:
            spent.append(time.perf_counter() - start)
            gc.unfreeze()

    engine_module.Engine.run = run  # type: ignore[method-assign]
    try:
        relevance: Any = None
        home = Path(engine_module.__file__).parents[1]
        if (home / "plan" / "relevance.py").exists():  # older checkouts analysed every file
            from scanner.plan import relevance
        if relevance is not None:  # analyse every group, as a tree full of sources would
            relevance.Needs.may_source = lambda self, words: True
        options = ScanOptions(paths=[tree], root=tree)
        for name, off in (("semgrep", "enabled"), ("parse_limits", "isolated")):
            current = getattr(options, name, None)
            if current is not None and off in {f.name for f in dataclasses.fields(current)}:
                setattr(options, name, dataclasses.replace(current, **{off: False}))
        result = run_scan(options)
    finally:
        engine_module.Engine.run = original  # type: ignore[method-assign]
    return sum(spent), len(result.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="analyse this tree (default: generate one)")
    parser.add_argument("--lines", type=int, default=120_000, help="size of a generated tree")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = args.tree
        if tree is None:
            tree = Path(tmp) / "tree"
            _generator().generate(tree, args.lines)
        import scanner

        times: list[float] = []
        findings = 0
        for _ in range(args.repeat):
            seconds, findings = timed_scan(tree)
            times.append(seconds)
        print(f"scanner: {Path(scanner.__file__).parent}")
        print(f"tree: {tree}  python {sys.version.split()[0]}")
        print(f"Engine.run: min {min(times):.2f} s, median {statistics.median(times):.2f} s "
              f"over {len(times)} runs; {findings} findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
