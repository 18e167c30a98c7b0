"""The `sellerscan` command line.

Exit codes (stable): 0 no findings; 1 findings reported; 2 usage, configuration or
ruleset error (or, with --strict, files that could not be analysed)."""

from __future__ import annotations

import difflib
import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path

import click

from scanner import __version__
from scanner.api import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_RULESET_BYTES,
    AnalysisLimits,
    ParseLimits,
    ScanInputError,
    ScanOptions,
    run_scan,
)
from scanner.report import render, render_failure
from scanner.report.progress import Progress
from scanner.rules.loader import RulesetError, load_rulesets
from scanner.rules.schema import RuleSet

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
FORMATS = ("text", "json", "sarif", "html")


def _write_output(text: str, output: Path | None) -> None:
    """Write to the output file atomically (never a half-written report), or stdout."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=str(output.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _fail(message: str, fmt: str, output: Path | None) -> None:
    """Report a fatal error (exit 2); a JSON, SARIF or HTML report records the failure,
    so it never looks like a clean result."""
    click.echo(f"sellerscan: error: {message}", err=True)
    document = render_failure(message, fmt)
    if document is not None:
        _write_output(document, output)
    sys.exit(EXIT_ERROR)


class _Commands(click.Group):
    """The command group; any unexpected exception becomes exit status 2 and a message
    (Python's own exit status for a traceback is 1, which means "findings")."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command, turning an internal error into exit status 2."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - never exit 1 on a crash
            click.echo(f"sellerscan: error: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=_Commands,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sellerscan")
def main() -> None:
    """sellerscan: find Amazon buyer PII (from SP-API/MWS calls) flowing to places the
    Data Protection Policy forbids: ad platforms, marketing e-mail, analytics, unknown
    hosts, logs and files.

    It reads Python source only; the scanned code is never imported or run.

    \b
    Examples:
      sellerscan scan myapp/
      sellerscan scan myapp/ --format sarif --output sellerscan.sarif
      sellerscan rules
      sellerscan explain SS101
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--ruleset", "rulesets", multiple=True, type=click.Path(path_type=Path),
              help="Extra ruleset file or directory of *.yaml, applied over the bundled "
                   "rulesets (same ids override). Repeatable.")
@click.option("--no-bundled-rulesets", is_flag=True,
              help="Use only the rulesets given with --ruleset.")
@click.option("--exclude", "excludes", multiple=True, metavar="GLOB",
              help="Skip files or folders whose root-relative path (or any path part) "
                   "matches GLOB. Repeatable.")
@click.option("--no-default-excludes", is_flag=True,
              help="Also scan .git, venv, node_modules, site-packages and similar folders.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Report paths relative to this directory (default: the common parent "
                   "of PATHS). Also the base of package (import) names.")
@click.option("--max-file-size", type=click.IntRange(min=1), default=DEFAULT_MAX_FILE_BYTES,
              show_default=True, metavar="BYTES", help="Skip (and report) larger files.")
@click.option("--max-ruleset-size", type=click.IntRange(min=1), default=DEFAULT_MAX_RULESET_BYTES,
              show_default=True, metavar="BYTES", help="Refuse (exit status 2) larger ruleset files.")
@click.option("--parse-memory-limit", type=click.IntRange(min=100), default=3072, show_default=True,
              metavar="MB", help="Memory a worker may use to parse one file; past it the file "
                                 "is listed as too-much-memory.")
@click.option("--parse-time-limit", type=click.IntRange(min=1), default=120, show_default=True,
              metavar="SECONDS", help="CPU time to parse one file; past it the file is listed "
                                      "as too-slow.")
@click.option("--no-parse-isolation", is_flag=True,
              help="Parse in this process, without per-file worker limits (faster; only for "
                   "trusted code).")
@click.option("--strict", is_flag=True,
              help="Exit with status 2 when any file could not be analysed.")
@click.option("--time-budget", type=click.FloatRange(min=1), default=900, show_default=True,
              metavar="SECONDS",
              help="Stop analysing after this long; the report then says it is incomplete.")
@click.option("--color/--no-color", default=None,
              help="Colour the text report (default: when standard output is a terminal).")
def scan(paths: tuple[Path, ...], fmt: str, output: Path | None, rulesets: tuple[Path, ...],
         no_bundled_rulesets: bool, excludes: tuple[str, ...], no_default_excludes: bool,
         root: Path | None, max_file_size: int, max_ruleset_size: int,
         parse_memory_limit: int, parse_time_limit: int, no_parse_isolation: bool, strict: bool,
         time_budget: float, color: bool | None) -> None:
    """Scan PATHS (files or directories) and report PII flows.

    Every finding shows its rule, the PII kinds, the destination and the path from the
    SP-API/MWS call to the sink, step by step. Files that cannot be analysed (syntax
    errors, Python 2, undecodable bytes, too large) are listed with the reason.

    Exit status: 0 no findings, 1 findings, 2 error (bad usage, ruleset or, with
    --strict, files skipped).
    """
    progress = Progress(enabled=sys.stderr.isatty())
    options = ScanOptions(
        paths=list(paths), root=root, rulesets=list(rulesets),
        include_bundled_rulesets=not no_bundled_rulesets, max_ruleset_bytes=max_ruleset_size,
        excludes=list(excludes),
        default_excludes=not no_default_excludes,
        parse_limits=ParseLimits(max_file_bytes=max_file_size,
                                 worker_memory_bytes=parse_memory_limit * 1024**2,
                                 worker_cpu_seconds=parse_time_limit,
                                 isolated=not no_parse_isolation),
        limits=AnalysisLimits(time_budget_seconds=time_budget), progress=progress.update,
    )
    try:
        with progress:
            result = run_scan(options)
        use_color = color if color is not None else (output is None and sys.stdout.isatty())
        report = render(result, fmt, color=use_color and fmt == "text")
    except RulesetError as exc:
        _fail(str(exc), fmt, output)
        return
    except ScanInputError as exc:
        _fail(str(exc), fmt, output)
        return
    except Exception as exc:  # noqa: BLE001 - an internal error must never look like a result
        _fail(f"internal error, the scan did not complete: {type(exc).__name__}: {exc}", fmt, output)
        return
    _write_output(report, output)
    if output is not None:
        click.echo(f"sellerscan: {len(result.findings)} finding(s), {len(result.skipped)} "
                   f"file(s) skipped; report written to {output}", err=True)
    if strict and result.skipped:
        click.echo(f"sellerscan: {len(result.skipped)} file(s) could not be analysed (--strict)",
                   err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.findings else EXIT_CLEAN)


def _load(rulesets: tuple[Path, ...]) -> RuleSet:
    try:
        return load_rulesets(list(rulesets))
    except RulesetError as exc:
        click.echo(f"sellerscan: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


@main.command("rules")
@click.option("--ruleset", "rulesets", multiple=True, type=click.Path(path_type=Path),
              help="Extra ruleset file or directory. Repeatable.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
def rules_command(rulesets: tuple[Path, ...], fmt: str) -> None:
    """List every rule with its severity and title."""
    ruleset = _load(rulesets)
    rules = sorted(ruleset.rules.values(), key=lambda r: r.id)
    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "name": r.name, "severity": r.severity.value,
                                "title": r.title} for r in rules], indent=2))
        return
    width = max((len(r.name) for r in rules), default=10)
    for r in rules:
        click.echo(f"{r.id:<8} {r.severity.value:<9} {r.name:<{width}}  {r.title}")


@main.command()
@click.argument("rule_id")
@click.option("--ruleset", "rulesets", multiple=True, type=click.Path(path_type=Path),
              help="Extra ruleset file or directory. Repeatable.")
def explain(rule_id: str, rulesets: tuple[Path, ...]) -> None:
    """Print the full documentation of RULE_ID (what, why, examples, how to fix)."""
    ruleset = _load(rulesets)
    by_name = {r.name: r for r in ruleset.rules.values()}
    rule = ruleset.rules.get(rule_id.upper()) or ruleset.rules.get(rule_id) or by_name.get(rule_id)
    if rule is None:
        options = list(ruleset.rules) + list(by_name)
        close = difflib.get_close_matches(rule_id, options, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else " Run `sellerscan rules`."
        click.echo(f"sellerscan: error: unknown rule {rule_id!r}.{hint}", err=True)
        sys.exit(EXIT_ERROR)
    parts = [f"{rule.id} {rule.name} ({rule.severity.value})", rule.title, ""]
    if rule.explanation:
        parts += ["What it detects and why it matters:", _wrap(rule.explanation), ""]
    if rule.policy:
        parts += ["Policy:", _wrap(rule.policy), ""]
    if rule.bad_example:
        parts += ["Bad:", _indent(rule.bad_example), ""]
    if rule.good_example:
        parts += ["Good:", _indent(rule.good_example), ""]
    if rule.fix:
        parts += ["How to fix:", _wrap(rule.fix), ""]
    click.echo("\n".join(parts).rstrip())


def _wrap(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=88, initial_indent="  ",
                         subsequent_indent="  ")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


if __name__ == "__main__":  # pragma: no cover
    main()
