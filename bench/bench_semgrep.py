"""Benchmark the second engine: the time semgrep adds to a scan.

    python bench/bench_semgrep.py                  # generated ~100k-line tree + the fixture apps
    python bench/bench_semgrep.py --lines 200000
    python bench/bench_semgrep.py --real DIR       # an existing tree

For each tree it scans three times in-process: semgrep off (`--no-semgrep`), semgrep on
(its native command line, the default) and semgrep on through its Python wrapper
(`SemgrepOptions(native=False)`), and it times one bare semgrep run on every file of the
tree (no keyword pre-filter: the worst case, a tree where every file mentions a secret).
The generated tree gets one hard-coded secret per package, so the keyword pre-filter
lets semgrep start and the credential rule has findings. Semgrep runs while the taint
analysis runs, so the time it adds is less than its own time when the machine has a
spare core. Not a test: figures depend on the machine."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

SECRET_MODULE = '''"""Generated settings with a hard-coded secret (built from parts)."""
LWA_CLIENT_SECRET = "amzn1.oa2-cs.v1." + "{k:02d}c2e9a4b1f3d5e6a8b0c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f"
'''


def _scan(root: Path, semgrep: str) -> tuple[float, int, str]:
    from scanner.api import ScanOptions, SemgrepOptions, run_scan

    options = SemgrepOptions(enabled=semgrep != "off", native=semgrep != "wrapper")
    start = time.perf_counter()
    result = run_scan(ScanOptions(paths=[root], root=root, semgrep=options))
    wall = time.perf_counter() - start
    engine = result.engines[1]
    return wall, len(result.findings), f"{engine.status.value}: {engine.message}"


def _bare_semgrep(root: Path) -> float:
    from scanner.discover.files import discover_files
    from scanner.options import SemgrepOptions
    from scanner.rules.loader import load_rulesets
    from scanner.semgrep.config import load_semgrep_rules
    from scanner.semgrep.runner import command, find_executable, run_environment

    rules = load_semgrep_rules([], True, load_rulesets())
    files, _ = discover_files([root], root, [])
    executable = find_executable(SemgrepOptions())
    assert executable is not None, "semgrep is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        config = rules.write_config(Path(tmp))
        argv = command(executable, [config], [f.relpath for f in files], SemgrepOptions(), 2_000_000)
        start = time.perf_counter()
        subprocess.run(argv, cwd=root, env=run_environment(), capture_output=True, check=False)
        return time.perf_counter() - start


def report(label: str, root: Path) -> None:
    """Print the three scan times and the bare semgrep time of one tree."""
    lines = sum(p.read_bytes().count(b"\n") for p in root.rglob("*.py"))
    off, n_off, _ = _scan(root, "off")
    on, n_on, status = _scan(root, "native")
    wrapper, _, _ = _scan(root, "wrapper")
    bare = _bare_semgrep(root)
    print(f"{label}: {lines:,} lines; without semgrep {off:.2f} s ({n_off} findings); "
          f"with semgrep {on:.2f} s (+{on - off:.2f} s, {n_on} findings); "
          f"with the Python wrapper {wrapper:.2f} s (+{wrapper - off:.2f} s); "
          f"semgrep alone on every file (no keyword pre-filter) {bare:.2f} s  [{status}]")


def main() -> int:
    """Generate (or take) the trees and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000, help="size of the generated tree")
    parser.add_argument("--real", type=Path, help="measure this existing directory instead")
    parser.add_argument("--no-apps", action="store_true", help="skip the fixture apps")
    args = parser.parse_args()
    from bench_scan import generate

    with tempfile.TemporaryDirectory(prefix="sellerscan-bench-") as tmp:
        if args.real is not None:
            report(str(args.real), args.real.resolve())
        else:
            root = Path(tmp) / "tree"
            root.mkdir()
            generate(root, args.lines)
            for k, pkg in enumerate(sorted(p for p in root.iterdir() if p.is_dir())):
                (pkg / "settings.py").write_text(SECRET_MODULE.format(k=k), encoding="utf-8")
            report("generated tree", root)
    if not args.no_apps:
        for app in sorted(p for p in (REPO / "fixtures" / "apps").iterdir() if p.is_dir()):
            report(f"fixtures/apps/{app.name}", app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
