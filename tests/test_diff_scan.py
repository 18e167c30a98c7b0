"""Diff-aware scans on real git repositories, shallow clones included."""

from __future__ import annotations

from pathlib import Path

from workflow_helpers import APP, cli, commit, found, git, init_repo, scan_json, write

HELPER = '''from sp_api.api import Orders


def buyer_emails():
    orders = Orders().get_orders(CreatedAfter="2024-01-01").payload["Orders"]
    return [o["BuyerInfo"]["BuyerEmail"] for o in orders]
'''
SENDER = '''import requests

from app.helper import buyer_emails


def push():
    requests.post("https://tracker.example.com/collect", json=buyer_emails())
'''


def _repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    write(repo / "app" / "__init__.py", "")
    write(repo / "app" / "job.py", APP)
    write(repo / "app" / "helper.py", HELPER)
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def test_new_sink_fed_by_old_code_is_reported_old_findings_are_not(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write(repo / "app" / "sender.py", SENDER)
    commit(repo, "add sender")
    code, data = scan_json(str(repo), "--diff-base", "main")
    assert code == 1
    assert [(f["rule_id"], f["sink"]["path"], f["sink"]["line"]) for f in data["findings"]] == [
        ("SS107", "app/sender.py", 7)]
    assert any(n.startswith("diff-aware scan: 2 finding(s) on lines not changed since")
               for n in data["notes"])
    _, full = scan_json(str(repo))
    assert len(full["findings"]) == 3


def test_old_sink_newly_fed_by_a_changed_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write(repo / "app" / "sender.py", SENDER.replace("json=buyer_emails()", "json=[]"))
    commit(repo, "sender without PII")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "feature2")
    code, data = scan_json(str(repo), "--diff-base", "main")
    assert (code, found(data)) == (0, [])
    # Only the helper changes: the unchanged sinks it now feeds are reported.
    write(repo / "app" / "sender.py", SENDER)  # uncommitted edits count too
    code, data = scan_json(str(repo), "--diff-base", "main")
    assert (code, found(data)) == (1, [("SS107", 7)])


def test_untracked_file_and_unchanged_tree(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, data = scan_json(str(repo), "--diff-base", "main")
    assert (code, found(data)) == (0, [])
    write(repo / "app" / "extra.py", APP)
    code, data = scan_json(str(repo), "--diff-base", "main")
    assert (code, [f["sink"]["path"] for f in data["findings"]]) == (
        1, ["app/extra.py", "app/extra.py"])


def test_bad_ref_and_no_git_fall_back_to_a_full_scan_with_a_warning(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = cli("scan", str(repo), "--diff-base", "no-such-branch")
    assert result.exit_code == 1
    assert ("sellerscan: warning: --diff-base no-such-branch: no merge base between HEAD and "
            "'no-such-branch'") in result.stderr
    assert "reporting the findings of the whole scan instead" in result.stderr
    plain = write(tmp_path / "plain" / "job.py", APP).parent
    result = cli("scan", str(plain), "--diff-base", "main")
    assert result.exit_code == 1
    assert "is not inside a git work tree" in result.stderr


def test_shallow_clone_is_deepened(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    for n in range(3):
        write(repo / "app" / f"step{n}.py", f"STEP = {n}\n")
        commit(repo, f"step {n}")
    write(repo / "app" / "sender.py", SENDER)
    commit(repo, "add sender")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", repo.as_uri(), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    code, data = scan_json(str(clone), "--diff-base", "origin/main")
    assert code == 1
    assert [(f["sink"]["path"], f["sink"]["line"]) for f in data["findings"]] == [
        ("app/sender.py", 7)]


def test_shallow_clone_that_cannot_deepen_falls_back(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    write(repo / "app" / "sender.py", SENDER)
    commit(repo, "add sender")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", repo.as_uri(), str(clone))
    git(clone, "remote", "set-url", "origin", (tmp_path / "gone").as_uri())
    result = cli("scan", str(clone), "--diff-base", "origin/main", "--format", "json")
    assert result.exit_code == 1
    assert "shallow clone whose history could not be deepened" in result.stderr
