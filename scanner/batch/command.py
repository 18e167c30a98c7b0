"""The `sellerscan batch` command: scan many submissions, one app each, into one output
folder with an index (registered on the command group by `scanner.cli`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scanner.api import (
    DEFAULT_MAX_FILE_BYTES,
    AnalysisLimits,
    ParseLimits,
    ScanOptions,
    SemgrepOptions,
)
from scanner.batch.app import BatchSettings
from scanner.batch.cluster import ClusterError
from scanner.cache.store import default_cache_dir
from scanner.options import ArchiveLimits, ClusterLimits
from scanner.workers.pool import worker_count

_DEFAULTS = ArchiveLimits()


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output-dir", "-o", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for each app's reports (DIR/<app>/) and index.json/index.html.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Apps scanned at once, each in its own worker process (default: one per "
                   "CPU; a single app uses them to parse and index its files).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the result cache shared by the apps and by concurrent batches "
                   "(default: the per-user cache folder, or $SELLERSCAN_CACHE_DIR).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Scan the apps on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://host:8786), or on a local cluster of --jobs workers with `local`. "
                   "Needs the `sellerscan[distributed]` extra; on a real cluster the inputs "
                   "and DIR must be on a filesystem shared by the workers.")
@click.option("--dask-timeout", type=click.FloatRange(min=0.1),
              default=ClusterLimits().connect_timeout_seconds, show_default=True,
              metavar="SECONDS", help="Longest wait to reach the Dask scheduler.")
@click.option("--ruleset", "rulesets", multiple=True, type=click.Path(path_type=Path),
              help="Extra ruleset file or directory, applied over the bundled ones. Repeatable.")
@click.option("--no-bundled-rulesets", is_flag=True,
              help="Use only the rulesets given with --ruleset.")
@click.option("--max-file-size", type=click.IntRange(min=1), default=DEFAULT_MAX_FILE_BYTES,
              show_default=True, metavar="BYTES", help="Skip (and report) larger source files.")
@click.option("--no-parse-isolation", is_flag=True,
              help="Parse without per-file worker limits (faster; only for trusted code).")
@click.option("--no-semgrep", is_flag=True,
              help="Do not run semgrep: only the taint rules are checked.")
@click.option("--time-budget", type=click.FloatRange(min=1), default=900, show_default=True,
              metavar="SECONDS", help="Analysis time per app; past it its report says it is "
                                      "incomplete.")
@click.option("--max-archive-size", type=click.IntRange(min=1),
              default=_DEFAULTS.max_total_bytes, show_default=True, metavar="BYTES",
              help="Refuse an archive that unpacks to more (inner archives included).")
@click.option("--max-archive-files", type=click.IntRange(min=1), default=_DEFAULTS.max_files,
              show_default=True, metavar="N", help="Refuse an archive with more members.")
@click.option("--max-archive-member-size", type=click.IntRange(min=1),
              default=_DEFAULTS.max_file_bytes, show_default=True, metavar="BYTES",
              help="Refuse an archive with a larger member.")
@click.option("--max-compression-ratio", type=click.FloatRange(min=1),
              default=_DEFAULTS.max_ratio, show_default=True,
              help="Refuse a member (zip) or archive (tar) compressed more than this (zip "
                   "bombs), once it unpacks to over 1 MiB.")
@click.option("--max-archive-depth", type=click.IntRange(min=1), default=_DEFAULTS.max_depth,
              show_default=True, metavar="N",
              help="Unpack archives inside archives this deep; refuse deeper nesting.")
def batch_command(inputs: tuple[Path, ...], output_dir: Path, jobs: int | None,
                  cache_dir: Path | None, no_cache: bool, dask_address: str | None,
                  dask_timeout: float,
                  rulesets: tuple[Path, ...], no_bundled_rulesets: bool, max_file_size: int,
                  no_parse_isolation: bool, no_semgrep: bool, time_budget: float,
                  max_archive_size: int, max_archive_files: int, max_archive_member_size: int,
                  max_compression_ratio: float, max_archive_depth: int) -> None:
    """Scan each INPUT as its own app: a folder, a .zip, a wheel (.whl), a .tar, or a
    .tar.gz/.tgz (an sdist). Archives are unpacked safely into a private temporary folder
    that is always removed.

    Writes DIR/<app>/report.json, report.sarif and report.html, and DIR/index.json and
    DIR/index.html with one row per app.

    Exit status: 0 all clean, 1 any app has violations, 2 any app could not be scanned.
    """
    from scanner.batch.progress import BatchProgress  # rich and jinja2 load for batches only
    from scanner.batch.run import EXIT_ERROR, run_batch
    from scanner.batch.run import exit_status as batch_exit_status

    jobs = jobs or worker_count()
    settings = BatchSettings(
        scan=ScanOptions(
            paths=[], rulesets=list(rulesets), include_bundled_rulesets=not no_bundled_rulesets,
            parse_limits=ParseLimits(max_file_bytes=max_file_size,
                                     isolated=not no_parse_isolation),
            limits=AnalysisLimits(time_budget_seconds=time_budget),
            semgrep=SemgrepOptions(enabled=not no_semgrep),
            jobs=1 if jobs > 1 and len(inputs) > 1 else jobs,
            cache_dir=None if no_cache else (cache_dir or default_cache_dir())),
        archive_limits=ArchiveLimits(max_total_bytes=max_archive_size,
                                     max_files=max_archive_files,
                                     max_file_bytes=max_archive_member_size,
                                     max_ratio=max_compression_ratio,
                                     max_depth=max_archive_depth))
    try:
        with BatchProgress(len(inputs)) as progress:
            rows = run_batch(list(inputs), output_dir, settings, jobs=jobs, on_done=progress.done,
                             dask=dask_address,
                             cluster=ClusterLimits(connect_timeout_seconds=dask_timeout))
    except ClusterError as exc:
        click.echo(f"sellerscan: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    status = batch_exit_status(rows)
    errors = sum(row.status != "scanned" for row in rows)
    failing = sum(row.findings > 0 for row in rows)
    click.echo(f"sellerscan: {len(rows)} app(s): {failing} with violations, {errors} could not "
               f"be scanned; index written to {os.path.join(output_dir, 'index.html')}", err=True)
    sys.exit(status)

