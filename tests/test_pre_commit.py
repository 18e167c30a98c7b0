"""The pre-commit hook: `.pre-commit-hooks.yaml` is a valid pre-commit manifest, and
pre-commit itself runs that hook's entry on a real git repository, failing a commit
that adds a PII flow and passing a clean one.

pre-commit normally builds a virtualenv for a `language: python` hook (pip-installing
sellerscan and its dependencies, minutes); the run here uses the manifest's own entry
and file types as a `language: system` hook, so pre-commit's selection of staged files,
its invocation and its exit handling are real while the install step is skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from pre_commit.clientlib import load_manifest
from workflow_helpers import APP, init_repo, write

REPO = Path(__file__).resolve().parents[1]


def _hook() -> dict[str, object]:
    hooks = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    assert [h["id"] for h in hooks] == ["sellerscan"]
    return hooks[0]


def _run(repo: Path) -> subprocess.CompletedProcess[str]:
    hook = _hook()
    config = {"repos": [{"repo": "local", "hooks": [{
        "id": hook["id"], "name": hook["name"], "entry": hook["entry"], "language": "system",
        "types": hook["types"], "require_serial": hook["require_serial"],
    }]}]}
    write(repo / ".pre-commit-config.yaml", yaml.safe_dump(config))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PRE_COMMIT_HOME=str(repo.parent / "pre-commit-home"))
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_manifest_is_valid_and_runs_on_python_files() -> None:
    hook = _hook()
    assert hook["language"] == "python" and hook["entry"] == "sellerscan scan"
    assert hook["types"] == ["python"]


def test_the_hook_fails_a_commit_that_adds_a_flow_and_passes_a_clean_one(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "clean.py", "def total(values):\n    return sum(values)\n")
    clean = _run(repo)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "sellerscan" in clean.stdout and "Passed" in clean.stdout
    write(repo / "job.py", APP)
    dirty = _run(repo)
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert "Failed" in dirty.stdout and "SS107" in dirty.stdout and "job.py" in dirty.stdout
