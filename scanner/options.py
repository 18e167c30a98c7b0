"""What a scan is asked to do, and the limits that keep it bounded on any input.

Every limit lives here, in one object passed down the pipeline: nothing below reads a
module global to decide how far to go, so a test or the benchmark changes a limit by
building options, never by patching a module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_FILE_BYTES = 2_000_000
DEFAULT_MAX_RULESET_BYTES = 1_000_000
"""Largest ruleset file read (the bundled ones are under 30 KB)."""

ProgressCallback = Callable[[int, int, str], None]
"""Called as (done, total, stage label) while parsing and analysing."""


def no_progress(done: int, total: int, label: str) -> None:
    """A progress callback that reports nothing."""


@dataclass(frozen=True)
class ParseLimits:
    """Which files are too big or too pathological to hand to the parser."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_operator_chain: int = 1000
    """Longest chain of binary/boolean/comparison operands (libcst is super-linear on them)."""
    max_literal_elements: int = 25_000
    """Most elements in one list/tuple/set/dict literal (or one call's arguments)."""
    max_nesting: int = 200
    """Deepest nesting of brackets (CPython's own limit is 200)."""
    max_indentation: int = 100
    """Deepest nesting of indented blocks (CPython's own limit is 100)."""
    isolated: bool = True
    """Read each file, and vet with libcst each file the analysis needs, in a worker
    process under the two limits below before the scan parses it; False: no workers."""
    worker_memory_bytes: int = 3 * 1024**3
    """Address-space limit of a parse worker (a 2 MB file needs about 1.6 GB in libcst)."""
    worker_cpu_seconds: int = 120
    """CPU time allowed to vet one file (a 2 MB file takes about 30 s)."""


@dataclass(frozen=True)
class AnalysisLimits:
    """How far the taint analysis may go before it approximates or stops."""

    max_call_depth: int = 40
    """Nested calls analysed at once; deeper calls are treated as unknown code."""
    max_passes: int = 4
    """Global passes over the project while stored attributes/globals keep changing."""
    ref_passes: int = 3
    """From this pass on, only changes in stored PII (not in references) trigger another."""
    max_recursion_rounds: int = 3
    """Rounds to reach a fixpoint for a recursive function's summary."""
    max_contexts: int = 8
    """Calling contexts analysed per function before contexts are merged."""
    max_loop_rounds: int = 4
    """Rounds to reach a fixpoint for one loop."""
    max_analyses: int = 500_000
    """Function analyses in one scan (the work budget)."""
    time_budget_seconds: float = 900.0
    """Wall-clock budget of the analysis; past it the reports say they are incomplete."""


@dataclass(frozen=True)
class DiffLimits:
    """How hard a diff-aware scan tries to find the merge base on a shallow clone."""

    deepen_attempts: int = 3
    """`git fetch --deepen` rounds before falling back to a full scan."""
    deepen_by: int = 200
    """Commits fetched per round."""
    git_timeout_seconds: float = 120.0
    """Longest a single git command may take."""


@dataclass(frozen=True)
class SemgrepOptions:
    """How the second engine (semgrep, for pattern rules) is run."""

    enabled: bool = True
    executable: str | None = None
    """Path or name of the `semgrep` program; default: on PATH, else next to Python."""
    timeout_seconds: float = 600.0
    """Wall-clock limit of the one semgrep run; past it the run counts as failed."""
    per_file_timeout_seconds: float = 30.0
    """Semgrep's own `--timeout` (per rule and file)."""
    native: bool = True
    """Run semgrep's native command line (`--experimental`, ~0.3 s to start) rather than
    its Python wrapper (~2-3 s)."""


@dataclass
class ScanOptions:
    """What to scan and with which rules."""

    paths: list[Path]
    root: Path | None = None
    """Paths in outputs are relative to this; default: the common parent of `paths`."""
    rulesets: list[Path] = field(default_factory=list)
    """Extra ruleset files or directories, applied over the bundled ones."""
    include_bundled_rulesets: bool = True
    max_ruleset_bytes: int = DEFAULT_MAX_RULESET_BYTES
    """Larger ruleset files are refused (a ruleset error, exit status 2)."""
    excludes: list[str] = field(default_factory=list)
    """Glob patterns (matched against root-relative paths) of files and folders to skip."""
    default_excludes: bool = True
    parse_limits: ParseLimits = field(default_factory=ParseLimits)
    limits: AnalysisLimits = field(default_factory=AnalysisLimits)
    progress: ProgressCallback | None = None
    """Called as (done, total, stage) while parsing and analysing."""
    semgrep: SemgrepOptions = field(default_factory=SemgrepOptions)
    jobs: int | None = None
    """Worker processes that parse and index files; None: one per CPU this process may use."""
    cache_dir: Path | None = None
    """Folder of the result cache (per-file facts, per-group findings); None: no cache.
    The command line defaults it to the per-user cache folder."""


@dataclass(frozen=True)
class ArchiveLimits:
    """How much a submitted archive may unpack to before a batch scan refuses it.

    The limits cover everything unpacked for one app, archives inside archives included."""

    max_total_bytes: int = 512 * 1024**2
    """Bytes unpacked in all (declared sizes, checked before any data is written)."""
    max_files: int = 20_000
    """Members (files, folders, links) in all."""
    max_file_bytes: int = 64 * 1024**2
    """Largest single member."""
    max_ratio: float = 200.0
    """Highest compression ratio (unpacked / packed) of a zip member, or of a compressed
    tar as a whole, once it unpacks to more than `ratio_floor_bytes` (zip bombs)."""
    ratio_floor_bytes: int = 1024**2
    """Below this many unpacked bytes the ratio is not checked (tiny files compress well)."""
    max_depth: int = 2
    """Archives inside archives unpacked this deep (1: only the submission itself);
    an archive nested deeper is refused."""


@dataclass(frozen=True)
class ClusterLimits:
    """How long a batch waits for a Dask cluster (`sellerscan batch --dask`)."""

    connect_timeout_seconds: float = 30.0
    """Longest wait to reach the scheduler before the batch fails (exit status 2)."""
