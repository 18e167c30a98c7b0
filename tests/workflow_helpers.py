"""Helpers for the workflow tests: a small app with two flows, real git repositories
and the command line run in-process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from scanner.cli import main

APP = '''import logging

import requests
from sp_api.api import Orders

orders = Orders().get_orders(CreatedAfter="2024-01-01").payload["Orders"]
for order in orders:
    email = order["BuyerInfo"]["BuyerEmail"]
    logging.info("buyer %s", email)
    requests.post(
        "https://tracker.example.com/collect",
        json={"email": email},
    )
'''
"""SS108 (medium) on line 9, SS107 (high) on lines 10-13; source on line 6."""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def git(repo: Path, *args: str) -> str:
    run = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return run.stdout


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test User")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    return repo


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def scan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = cli("scan", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def found(data: dict[str, Any]) -> list[tuple[str, int]]:
    return [(f["rule_id"], f["sink"]["line"]) for f in data["findings"]]
