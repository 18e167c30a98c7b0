"""Configuration files: found upward, validated, overridden by flags; include/exclude and
.gitignore; fail-on; disable."""

from __future__ import annotations

from pathlib import Path

from workflow_helpers import APP, cli, found, init_repo, scan_json, write

from scanner.cache.store import FILE_NAME


def test_pyproject_section_found_from_the_scanned_path_upward(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.sellerscan]\n'
          'disable = ["SS108"]\nexclude = ["app/legacy/"]\n')
    write(tmp_path / "app" / "job.py", APP)
    write(tmp_path / "app" / "legacy" / "old.py", APP)
    code, data = scan_json(str(tmp_path / "app"))
    assert code == 1
    assert found(data) == [("SS107", 10)]
    assert data["files_scanned"] == 1


def test_sellerscan_toml_wins_and_flags_override(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.sellerscan]\ndisable = ["SS107"]\n')
    write(tmp_path / ".sellerscan.toml", 'fail-on = "high"\ndisable = ["SS108"]\n')
    write(tmp_path / "app" / "job.py", APP)
    code, data = scan_json(str(tmp_path / "app"))
    assert (code, found(data)) == (1, [("SS107", 10)])
    code, data = scan_json(str(tmp_path / "app"), "--disable", "SS107")
    assert (code, found(data)) == (0, [("SS108", 9)])  # medium is below fail-on = high
    code, data = scan_json(str(tmp_path / "app"), "--disable", "SS107", "--fail-on", "medium")
    assert (code, found(data)) == (1, [("SS108", 9)])
    code, data = scan_json(str(tmp_path / "app"), "--no-config")
    assert (code, found(data)) == (1, [("SS108", 9), ("SS107", 10)])


def test_search_stops_at_the_git_top(tmp_path: Path) -> None:
    write(tmp_path / ".sellerscan.toml", 'disable = ["SS107", "SS108"]\n')
    repo = init_repo(tmp_path / "repo")
    write(repo / "app" / "job.py", APP)
    code, data = scan_json(str(repo / "app"))
    assert (code, found(data)) == (1, [("SS108", 9), ("SS107", 10)])


def test_unknown_key_is_an_error_naming_key_and_file(tmp_path: Path) -> None:
    config = write(tmp_path / ".sellerscan.toml", 'fail_on = "high"\n')
    write(tmp_path / "job.py", APP)
    result = cli("scan", str(tmp_path))
    assert result.exit_code == 2
    assert f"{config.resolve()}: fail_on: unknown key (did you mean 'fail-on'?)" in result.output


def test_bad_values_are_errors(tmp_path: Path) -> None:
    write(tmp_path / "job.py", APP)
    cases = {
        'fail-on = "hihg"': "fail-on: 'hihg' is not one of critical, high, medium, low, info "
                            "(did you mean 'high'?)",
        "jobs = 0": "jobs: must be a whole number of at least 1",
        'include = "app"': "include: must be a list of strings",
        'respect-gitignore = "no"': "respect-gitignore: must be true or false",
        'disable = ["SS10"]': "disable: unknown rule id 'SS10'",
        "fail-on = [": "not valid TOML",
        'cache = "no"': "cache: must be true or false",
        "cache-dir = 3": "cache-dir: must be a folder path",
    }
    for line, message in cases.items():
        write(tmp_path / ".sellerscan.toml", line + "\n")
        result = cli("scan", str(tmp_path))
        assert result.exit_code == 2, line
        assert ".sellerscan.toml" in result.output and message in result.output, result.output
    pyproject = write(tmp_path / "sub" / "pyproject.toml", "[tool.sellerscan]\nbaseline = 3\n")
    result = cli("scan", str(tmp_path / "sub"), "--config", str(pyproject))
    assert result.exit_code == 2
    assert "pyproject.toml: tool.sellerscan.baseline: must be a file path" in result.output


def test_include_and_gitignore(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / ".gitignore", "generated/\n*.bak.py\n!keep.bak.py\n")
    write(repo / "app" / "job.py", APP)
    write(repo / "app" / "generated" / "gen.py", APP)
    write(repo / "app" / "old.bak.py", APP)
    write(repo / "app" / "keep.bak.py", APP)
    write(repo / "tools" / "t.py", APP)
    write(repo / "tools" / ".gitignore", "t.py\n")
    _, data = scan_json(str(repo))
    assert sorted({f["sink"]["path"] for f in data["findings"]}) == ["app/job.py",
                                                                     "app/keep.bak.py"]
    _, data = scan_json(str(repo), "--no-respect-gitignore")
    assert data["files_scanned"] == 5
    write(repo / ".sellerscan.toml", 'include = ["app/*.py"]\nrespect-gitignore = false\n')
    _, data = scan_json(str(repo))
    assert sorted({f["sink"]["path"] for f in data["findings"]}) == [
        "app/job.py", "app/keep.bak.py", "app/old.bak.py"]
    _, data = scan_json(str(repo), "--include", "tools/")
    assert sorted({f["sink"]["path"] for f in data["findings"]}) == ["tools/t.py"]


def test_a_folder_ignored_by_the_enclosing_repo_is_scanned_when_asked_for(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / ".gitignore", "vendor/\n")
    write(repo / "vendor" / "lib" / "job.py", APP)
    code, data = scan_json(str(repo / "vendor" / "lib"))
    assert code == 1 and data["files_scanned"] == 1
    code, data = scan_json(str(repo))
    assert code == 0 and data["files_scanned"] == 0 and data["findings"] == []
    assert any("left out" in note for note in data["notes"])


def test_jobs_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / ".sellerscan.toml", "jobs = 4\n")
    write(tmp_path / "job.py", APP)
    assert cli("scan", str(tmp_path), "--jobs", "2").exit_code == 1


def test_the_cache_folder_and_switch_come_from_the_config(tmp_path: Path) -> None:
    app = tmp_path / "app"
    write(app / "job.py", APP)
    write(app / ".sellerscan.toml", 'cache-dir = "../my-cache"\n')
    assert cli("scan", str(app), "--no-semgrep").exit_code == 1
    assert (tmp_path / "my-cache" / FILE_NAME).is_file()
    write(app / ".sellerscan.toml", 'cache-dir = "../other-cache"\ncache = false\n')
    assert cli("scan", str(app), "--no-semgrep").exit_code == 1
    assert not (tmp_path / "other-cache").exists()
    assert cli("scan", str(app), "--no-semgrep", "--cache-dir", str(tmp_path / "flag")).exit_code == 1
    assert (tmp_path / "flag" / FILE_NAME).is_file()  # the flag wins over `cache = false`

