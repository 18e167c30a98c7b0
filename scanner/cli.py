"""The `sellerscan` command line.

Exit codes (stable): 0 no findings; 1 findings reported; 2 usage, configuration or
ruleset error (or, with --strict, files that could not be analysed; or an engine such as
semgrep failed, unless --allow-engine-failure)."""

from __future__ import annotations

import difflib
import json
import os
import sys
import textwrap
from pathlib import Path

import click

from scanner import __version__
from scanner.api import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_RULESET_BYTES,
    AnalysisLimits,
    BaselineError,
    ParseLimits,
    ScanInputError,
    ScanOptions,
    SemgrepOptions,
    WorkflowOptions,
    failing,
    run_workflow,
)
from scanner.batch.command import batch_command
from scanner.cache.store import default_cache_dir
from scanner.model import Severity
from scanner.report import render, render_failure
from scanner.report.github import annotation_lines, escape_data, summary_markdown
from scanner.report.output import write_atomically
from scanner.report.progress import Progress
from scanner.rules.loader import RulesetError, load_rulesets
from scanner.rules.schema import RuleSet
from scanner.workflow.baseline import baseline_text
from scanner.workflow.config import (
    Config,
    ConfigError,
    check_rule_ids,
    find_config,
    load_config,
    parse_severity,
)

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
FORMATS = ("text", "json", "sarif", "html")


def _write_output(text: str, output: Path | None) -> None:
    """Write to the output file atomically (never a half-written report), or stdout."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    write_atomically(output, text)


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
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: .sellerscan.toml or pyproject.toml "
                   "[tool.sellerscan], looked for from the first PATH upward).")
@click.option("--no-config", is_flag=True, help="Ignore configuration files.")
@click.option("--include", "includes", multiple=True, metavar="PATTERN",
              help="Scan only files matching these gitignore-style patterns. Repeatable.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None,
              help="Skip files .gitignore ignores (default: on).")
@click.option("--disable", "disabled", multiple=True, metavar="RULE",
              help="Drop the findings of this rule id. Repeatable.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]),
              help="Least severe level that fails the run (default: any finding).")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings not in this baseline file.")
@click.option("--diff-base", metavar="REF",
              help="Report only findings whose sink or trace touches a line changed since "
                   "the merge base with REF (the whole program is still analysed).")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Worker processes that parse and index files (default: one per CPU).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the result cache (default: the per-user cache folder, or "
                   "$SELLERSCAN_CACHE_DIR). Unchanged files and groups are not recomputed.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--semgrep", "semgrep_program", metavar="PROGRAM",
              help="The semgrep program to run for the pattern (credential) rules "
                   "(default: `semgrep` on PATH, else the one installed with sellerscan).")
@click.option("--no-semgrep", is_flag=True,
              help="Do not run semgrep: only the taint rules are checked.")
@click.option("--semgrep-timeout", type=click.FloatRange(min=1), default=600,
              show_default=True, metavar="SECONDS",
              help="Stop semgrep after this long (the run then counts as failed).")
@click.option("--allow-engine-failure", is_flag=True,
              help="Exit with 0/1 even if semgrep is missing, crashed or timed out (the "
                   "report still says so). Default: exit status 2.")
def scan(paths: tuple[Path, ...], fmt: str, output: Path | None, rulesets: tuple[Path, ...],
         no_bundled_rulesets: bool, excludes: tuple[str, ...], no_default_excludes: bool,
         root: Path | None, max_file_size: int, max_ruleset_size: int,
         parse_memory_limit: int, parse_time_limit: int, no_parse_isolation: bool, strict: bool,
         time_budget: float, color: bool | None, config_file: Path | None, no_config: bool,
         includes: tuple[str, ...], respect_gitignore: bool | None, disabled: tuple[str, ...],
         fail_on: str | None, baseline: Path | None, diff_base: str | None,
         jobs: int | None, cache_dir: Path | None, no_cache: bool,
         semgrep_program: str | None, no_semgrep: bool,
         semgrep_timeout: float, allow_engine_failure: bool) -> None:
    """Scan PATHS (files or directories) and report PII flows.

    Every finding shows its rule, the PII kinds, the destination and the path from the
    SP-API/MWS call to the sink, step by step. Files that cannot be analysed (syntax
    errors, Python 2, undecodable bytes, too large) are listed with the reason.

    Exit status: 0 no findings, 1 findings, 2 error (bad usage, ruleset, semgrep
    failed unless --allow-engine-failure, or, with --strict, files skipped).
    """
    progress = Progress(enabled=sys.stderr.isatty())
    try:
        config = _config(paths, config_file, no_config)
        if includes:
            config.include = list(includes)
        if respect_gitignore is not None:
            config.respect_gitignore = respect_gitignore
        if disabled:
            config.disable = list(disabled)
        if fail_on:
            config.fail_on = parse_severity(fail_on, "--fail-on")
        config.baseline = baseline or config.baseline
        config.jobs = jobs or config.jobs
    except ConfigError as exc:
        _fail(str(exc), fmt, output)
        return
    options = ScanOptions(
        paths=list(paths), root=root, rulesets=list(rulesets) or config.rulesets,
        include_bundled_rulesets=not no_bundled_rulesets, max_ruleset_bytes=max_ruleset_size,
        excludes=list(excludes),
        default_excludes=not no_default_excludes,
        parse_limits=ParseLimits(max_file_bytes=max_file_size,
                                 worker_memory_bytes=parse_memory_limit * 1024**2,
                                 worker_cpu_seconds=parse_time_limit,
                                 isolated=not no_parse_isolation),
        limits=AnalysisLimits(time_budget_seconds=time_budget), progress=progress.update,
        semgrep=SemgrepOptions(enabled=not no_semgrep, executable=semgrep_program,
                               timeout_seconds=semgrep_timeout),
        jobs=config.jobs,
        cache_dir=None if no_cache or (cache_dir is None and not config.cache)
        else (cache_dir or config.cache_dir or default_cache_dir()),
    )
    try:
        with progress:
            outcome = run_workflow(options, _workflow(config, diff_base))
        result = outcome.result
        check_rule_ids(config, {rule.id for rule in result.rules})
        use_color = color if color is not None else (output is None and sys.stdout.isatty())
        report = render(result, fmt, color=use_color and fmt == "text")
    except (RulesetError, ScanInputError, ConfigError, BaselineError) as exc:
        _fail(str(exc), fmt, output)
        return
    except Exception as exc:  # noqa: BLE001 - an internal error must never look like a result
        _fail(f"internal error, the scan did not complete: {type(exc).__name__}: {exc}", fmt, output)
        return
    for warning in outcome.warnings:
        click.echo(f"sellerscan: warning: {warning}", err=True)
    _write_output(report, output)
    if output is not None:
        click.echo(f"sellerscan: {len(result.findings)} finding(s), {len(result.skipped)} "
                   f"file(s) skipped; report written to {output}", err=True)
    for engine in result.failed_engines:
        click.echo(f"sellerscan: error: {engine.message}; the {engine.name} rules were not "
                   "checked (the report says so)", err=True)
    if result.failed_engines and not allow_engine_failure:
        sys.exit(EXIT_ERROR)
    if strict and result.skipped:
        click.echo(f"sellerscan: {len(result.skipped)} file(s) could not be analysed (--strict)",
                   err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if failing(result, config.fail_on) else EXIT_CLEAN)


def _config(paths: tuple[Path, ...], config_file: Path | None, no_config: bool) -> Config:
    """The configuration that applies (an empty one with --no-config or when none)."""
    if no_config:
        return Config()
    found = config_file or (find_config(paths[0]) if paths else None)
    return load_config(found) if found else Config()


def _workflow(config: Config, diff_base: str | None) -> WorkflowOptions:
    return WorkflowOptions(include=config.include, exclude=config.exclude,
                           pattern_base=config.base,
                           respect_gitignore=config.respect_gitignore,
                           disable=config.disable, baseline=config.baseline,
                           diff_base=diff_base)


@main.group("baseline")
def baseline_group() -> None:
    """Adopt sellerscan on existing code: accept today's findings, fail only on new ones."""


@baseline_group.command("create")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The baseline file to write (JSON).")
@click.option("--ruleset", "rulesets", multiple=True, type=click.Path(path_type=Path),
              help="Extra ruleset file or directory. Repeatable.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Paths in the baseline are relative to this (default: common parent).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: looked for from the first PATH upward).")
def baseline_create(paths: tuple[Path, ...], output: Path, rulesets: tuple[Path, ...],
                    root: Path | None, config_file: Path | None) -> None:
    """Write the current findings of PATHS to a baseline file, by stable fingerprint.

    Then `sellerscan scan PATHS --baseline FILE` reports only findings not in it.
    """
    try:
        config = _config(paths, config_file, False)
        config.baseline = None
        options = ScanOptions(paths=list(paths), root=root,
                              rulesets=list(rulesets) or config.rulesets)
        result = run_workflow(options, _workflow(config, None)).result
        check_rule_ids(config, {rule.id for rule in result.rules})
    except (RulesetError, ScanInputError, ConfigError, BaselineError) as exc:
        click.echo(f"sellerscan: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    _write_output(baseline_text(result), output)
    click.echo(f"sellerscan: baseline of {len(result.active)} finding(s) written to {output}",
               err=True)


@main.command("github")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--ruleset", "rulesets", multiple=True, type=click.Path(path_type=Path),
              help="Extra ruleset file or directory. Repeatable.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]),
              help="Least severe level that fails the job (default: the configuration's).")
@click.option("--diff-base", metavar="REF", help="Default: origin/$GITHUB_BASE_REF on a "
              "pull request, else a full scan. Pass '' for a full scan.")
@click.option("--sarif-file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("sellerscan.sarif"), show_default=True,
              help="Where to write the SARIF for github/codeql-action/upload-sarif.")
def github_command(paths: tuple[Path, ...], rulesets: tuple[Path, ...], fail_on: str | None,
                   diff_base: str | None, sarif_file: Path) -> None:
    """Scan in GitHub Actions: annotations on the changed lines, a job summary
    ($GITHUB_STEP_SUMMARY) and a SARIF file."""
    if diff_base is None and os.environ.get("GITHUB_BASE_REF"):
        diff_base = f"origin/{os.environ['GITHUB_BASE_REF']}"
    try:
        config = _config(paths, None, False)
        if fail_on:
            config.fail_on = parse_severity(fail_on, "--fail-on")
        options = ScanOptions(paths=list(paths), rulesets=list(rulesets) or config.rulesets)
        outcome = run_workflow(options, _workflow(config, diff_base or None))
        check_rule_ids(config, {rule.id for rule in outcome.result.rules})
    except (RulesetError, ScanInputError, ConfigError, BaselineError) as exc:
        click.echo(f"::error title=sellerscan::{escape_data(str(exc))}")
        _fail(str(exc), "sarif", sarif_file)
        return
    result = outcome.result
    for warning in outcome.warnings:
        click.echo(f"::warning title=sellerscan::{escape_data(warning)}")
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        prefix = Path(result.root).resolve().relative_to(workspace).as_posix()
    except ValueError:
        prefix = ""
    prefix = "" if prefix == "." else prefix
    for line in annotation_lines(result, prefix):
        click.echo(line)
    _write_output(render(result, "sarif"), sarif_file)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(result, prefix))
    sys.exit(EXIT_FINDINGS if failing(result, config.fail_on) else EXIT_CLEAN)


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


main.add_command(batch_command)


if __name__ == "__main__":  # pragma: no cover
    main()
