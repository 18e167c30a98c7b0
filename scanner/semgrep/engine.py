"""The second engine as the pipeline sees it: start semgrep on the scan's files before
the taint analysis, collect it afterwards, and hand back findings, the engine's run
record (status, files it saw) and notes for the reader. A missing, crashing or
timed-out semgrep is a FAILED run, never a clean one."""

from __future__ import annotations

import tempfile
from pathlib import Path

from scanner.discover.files import SourceFile
from scanner.model import EngineRun, EngineStatus, Finding, SkippedFile
from scanner.options import SemgrepOptions
from scanner.rules.schema import RuleSet
from scanner.semgrep.config import SemgrepRules
from scanner.semgrep.merge import semgrep_findings
from scanner.semgrep.runner import SemgrepProcess, SemgrepRun, command, find_executable
from scanner.semgrep.targets import files_mentioning, template_files

ENGINE = "semgrep"


class SemgrepJob:
    """One semgrep run over the scan's Python files and templates."""

    def __init__(self, rules: SemgrepRules, options: SemgrepOptions, root: Path,
                 python_files: list[SourceFile], templates: list[SourceFile],
                 max_file_bytes: int) -> None:
        self.rules = rules
        self.root = root
        self.targets = python_files + templates
        self.templates = [t.relpath for t in templates]
        self.filtered_out = 0
        self.process: SemgrepProcess | None = None
        self.folder: tempfile.TemporaryDirectory[str] | None = None
        self.status: EngineStatus | None = None
        self.message = ""
        if not options.enabled or not rules.rules:
            self.status = EngineStatus.DISABLED
            self.message = "semgrep was not run (" + (
                "--no-semgrep" if not options.enabled else "no semgrep rules") + ")"
        else:
            if not rules.needs_all_files():
                kept = files_mentioning(self.targets, rules.keywords(), max_file_bytes)
                self.filtered_out = len(self.targets) - len(kept)
                self.targets = kept
            if not self.targets:
                self.status = EngineStatus.NOT_NEEDED
                self.message = ("semgrep was not started: no scanned file mentions its rules' "
                                "keywords")
            else:
                self._start(options, max_file_bytes)

    @classmethod
    def start(cls, rules: SemgrepRules, options: SemgrepOptions, root: Path,
              paths: list[Path], python_files: list[SourceFile], excludes: list[str],
              default_excludes: bool, max_file_bytes: int) -> SemgrepJob:
        """Find the templates and start semgrep (unless disabled or not needed)."""
        templates = template_files(paths, root, excludes, default_excludes) \
            if options.enabled and rules.rules else []
        return cls(rules, options, root, python_files, templates, max_file_bytes)

    def _start(self, options: SemgrepOptions, max_file_bytes: int) -> None:
        executable = find_executable(options)
        if executable is None:
            wanted = options.executable or "semgrep"
            self.status = EngineStatus.FAILED
            self.message = (f"semgrep failed: program {wanted!r} not found (install sellerscan's "
                            "dependencies or pass --semgrep PATH)")
            return
        self.folder = tempfile.TemporaryDirectory(prefix="sellerscan-semgrep-")
        config = self.rules.write_config(Path(self.folder.name))
        argv = command(executable, [config], [t.relpath for t in self.targets],
                       options, max_file_bytes)
        self.process = SemgrepProcess(argv, self.root, options.timeout_seconds)

    def finish(self, ruleset: RuleSet, taint: list[Finding], skipped: list[SkippedFile]
               ) -> tuple[list[Finding], EngineRun, list[str]]:
        """Semgrep's findings, its run record, and notes (failure, extra files seen)."""
        if self.process is None:
            status = self.status or EngineStatus.FAILED
            notes = [self._failure_note(self.message)] if status is EngineStatus.FAILED else []
            return [], EngineRun(ENGINE, status, self.message), notes
        run: SemgrepRun = self.process.wait()
        if self.folder is not None:
            self.folder.cleanup()
        if not run.ok:
            message = run.message
            return [], EngineRun(ENGINE, EngineStatus.FAILED, message), [self._failure_note(message)]
        findings = semgrep_findings(run.results, self.rules, ruleset, self.root, taint)
        scanned = sorted(p.replace("\\", "/") for p in run.scanned)
        notes = [f"semgrep: {e}" for e in run.errors]
        seen = set(scanned)
        extra = [s.path for s in skipped if s.path in seen]
        if extra:
            notes.append(f"semgrep analysed {len(extra)} file(s) the taint engine could not: "
                         + ", ".join(extra))
        templates = [t for t in self.templates if t in seen]
        if templates:
            notes.append(f"semgrep analysed {len(templates)} template(s) for the credential "
                         "rules: " + ", ".join(templates))
        missed = [t.relpath for t in self.targets if t.relpath not in seen]
        if missed:
            notes.append(f"semgrep did not analyse {len(missed)} file(s): " + ", ".join(missed[:20]))
        message = f"semgrep {run.version} analysed {len(scanned)} file(s)" + (
            f"; {self.filtered_out} other file(s) mention none of its rules' keywords"
            if self.filtered_out else "")
        return findings, EngineRun(ENGINE, EngineStatus.OK, message, tuple(scanned),
                                   run.version), notes

    def _failure_note(self, message: str) -> str:
        ids = sorted({r.rule_id for r in self.rules.rules.values()})
        return (f"ENGINE FAILURE: {message}; the pattern rules ({', '.join(ids)}) were NOT "
                "checked, so this report is incomplete")
