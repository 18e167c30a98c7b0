"""Benchmark: scan a large Python tree and print lines/second, wall time and peak memory.

    python bench/bench_scan.py                     # generated 120k-line seller-app tree
    python bench/bench_scan.py --lines 200000
    python bench/bench_scan.py --real DIR          # an existing tree (e.g. a big package)
    python bench/bench_scan.py --profile out.prof  # also print the top functions

Not a test: figures depend on the machine. Compare the ratios printed in one run
(scan time / plain libcst parse time / ast parse time)."""

from __future__ import annotations

import argparse
import ast
import cProfile
import dataclasses
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HEADER = '''"""Generated module {pkg}.{mod} for the sellerscan benchmark."""
import json
import logging

import requests

from {pkg} import util_{other}

log = logging.getLogger(__name__)
CARRIER = "https://api.easypost.com/v2"
'''

CLASS = '''

class Service{n}:
    """A service with a few methods."""

    def __init__(self, name, size={n}):
        self.name = name
        self.size = size
        self.items = []

    def add(self, item):
        self.items.append(item)
        return len(self.items)

    def render(self, prefix="item"):
        rows = [f"{{prefix}}-{{i}}: {{v}}" for i, v in enumerate(self.items)]
        return "\\n".join(rows)

    def ship(self, parcel):
        payload = {{"parcel": parcel, "weight": self.size * 2}}
        requests.post(CARRIER + "/shipments", json=payload)
        log.info("shipped %d items", len(self.items))
        return util_{other}.helper_{n}(payload)
'''

FUNC = '''

def helper_{n}(data, limit={n}):
    """A helper that loops, branches and builds strings."""
    total = 0
    out = {{}}
    for key, value in sorted(data.items()):
        if isinstance(value, int) and value > limit:
            total += value
        elif key.startswith("x"):
            out[key] = str(value).upper()
        else:
            out.setdefault("other", []).append(key)
    while total > 1000:
        total //= 2
    try:
        text = json.dumps(out)
    except TypeError:
        text = ""
    return {{"total": total, "text": text, "size": len(out)}}
'''

PLANTED_SOURCE = '''"""Planted PII flows: SP-API order data sent through helpers to forbidden sinks."""
import requests
from sp_api.api import Orders

from {pkg} import relay_{k}

CREDS = {{"refresh_token": "from-env"}}


def fetch_emails_{k}():
    orders = Orders(credentials=CREDS).get_orders(CreatedAfter="2024-01-01").payload["Orders"]
    return [o["BuyerInfo"]["BuyerEmail"] for o in orders]


def run_{k}():
    relay_{k}.forward_{k}(fetch_emails_{k}())
'''

PLANTED_RELAY = '''"""Relays data to the sink module."""
from {pkg} import sink_{k}


def forward_{k}(values):
    cleaned = [v.strip().lower() for v in values]
    sink_{k}.upload_{k}(cleaned)
'''

PLANTED_SINK = '''"""Sends what it is given to an ad platform and prints it."""
import requests

GRAPH = "https://graph.facebook.com/v19.0"


def upload_{k}(emails):
    requests.post(f"{{GRAPH}}/123/users", json={{"payload": {{"data": emails}}}})
    print("uploaded", emails)
'''


def generate(root: Path, target_lines: int, seed: int = 7, planted: int = 5) -> int:
    """Write a synthetic seller-app tree of about `target_lines` lines; return the number
    of findings planted (2 per planted flow: an ad-platform upload and a print)."""
    rng = random.Random(seed)
    lines = 0
    pkg_index = 0
    while lines < target_lines:
        pkg = f"app{pkg_index}"
        pkg_dir = root / pkg
        pkg_dir.mkdir(parents=True)
        (pkg_dir / "__init__.py").write_text('"""Generated package."""\n', encoding="utf-8")
        for mod_index in range(20):
            other = rng.randrange(20)
            parts = [HEADER.format(pkg=pkg, mod=f"util_{mod_index}", other=other)]
            for n in range(rng.randrange(4, 9)):
                parts.append(FUNC.format(n=n))
                parts.append(CLASS.format(n=n, other=other))
            for n in range(9, 12):
                parts.append(FUNC.format(n=n))
            text = "".join(parts)
            (pkg_dir / f"util_{mod_index}.py").write_text(text, encoding="utf-8")
            lines += text.count("\n")
        if pkg_index < planted:
            for template, name in ((PLANTED_SOURCE, "source"), (PLANTED_RELAY, "relay"),
                                   (PLANTED_SINK, "sink")):
                text = template.format(pkg=pkg, k=pkg_index)
                (pkg_dir / f"{name}_{pkg_index}.py").write_text(text, encoding="utf-8")
                lines += text.count("\n")
        pkg_index += 1
    return 2 * min(planted, pkg_index)


def count_lines(root: Path) -> tuple[int, int]:
    """(files, lines) of the Python files under `root`."""
    files = list(root.rglob("*.py"))
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def time_parsers(root: Path) -> tuple[float, float]:
    """Seconds for a plain libcst.parse_module pass and an ast.parse pass over the tree."""
    import libcst

    texts = []
    for path in sorted(root.rglob("*.py")):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
    start = time.perf_counter()
    for text in texts:
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    ast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        try:
            libcst.parse_module(text)
        except Exception:  # noqa: BLE001, S110 - timing only; failures are reported by the scan
            pass
    return time.perf_counter() - start, ast_seconds


def _profile_engine_thread(profiler: cProfile.Profile) -> None:
    """The scan runs in a worker thread (for its large stack): profile inside it."""
    from scanner import pipeline

    original = pipeline.run_with_big_stack

    def profiled(target):  # type: ignore[no-untyped-def]
        def run() -> None:
            profiler.enable()
            try:
                target()
            finally:
                profiler.disable()

        original(run)

    pipeline.run_with_big_stack = profiled  # type: ignore[assignment]


def main() -> int:
    """Generate (or take) a tree, scan it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=120_000, help="size of the generated tree")
    parser.add_argument("--real", type=Path, help="scan this existing directory instead")
    parser.add_argument("--out", type=Path, help="generate into this directory (kept)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the scan here")
    parser.add_argument("--skip-parse-baseline", action="store_true")
    parser.add_argument("--no-parse-isolation", action="store_true",
                        help="parse in-process (no guarded worker processes)")
    args = parser.parse_args()

    from scanner.api import ScanOptions, run_scan

    planted = None
    with tempfile.TemporaryDirectory(prefix="sellerscan-bench-") as tmp:
        if args.real is not None:
            root = args.real.resolve()
        else:
            root = (args.out or Path(tmp) / "tree").resolve()
            root.mkdir(parents=True, exist_ok=True)
            planted = generate(root, args.lines)
        files, lines = count_lines(root)
        options = ScanOptions(paths=[root], root=root)
        if args.no_parse_isolation:
            options.parse_limits = dataclasses.replace(options.parse_limits, isolated=False)
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            _profile_engine_thread(profiler)
        start = time.perf_counter()
        result = run_scan(options)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"tree:            {root}")
        print(f"files:           {files} ({result.files_scanned} analysed, {len(result.skipped)} skipped)")
        print(f"lines:           {lines}")
        print(f"scan wall:       {wall:.2f} s")
        print(f"lines/second:    {lines / wall:,.0f}")
        print(f"peak RSS:        {peak_mb:,.0f} MB")
        print(f"findings:        {len(result.findings)}" + (f" (planted {planted})" if planted is not None else ""))
        for note in result.notes:
            print(f"note:            {note}")
        if not args.skip_parse_baseline:
            cst_seconds, ast_seconds = time_parsers(root)
            print(f"libcst parse:    {cst_seconds:.2f} s  (scan/libcst-parse = {wall / cst_seconds:.2f})")
            print(f"ast parse:       {ast_seconds:.2f} s  (scan/ast-parse = {wall / ast_seconds:.2f})")
        if profiler is not None:
            profiler.dump_stats(str(args.profile))
            stats = pstats.Stats(str(args.profile))
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
