"""A content-addressed result cache in one SQLite file (WAL mode), safe under concurrent
scans: every entry is a (namespace, key) -> bytes row written in its own transaction, and
an entry is a pure function of its key, so two runs writing the same key write the same
value. A cache that cannot be opened, read or written (corrupt, read-only, locked for too
long) is switched off for the rest of the run with a note: a scan never fails because of
its cache."""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

CACHE_ENV = "SELLERSCAN_CACHE_DIR"
"""Environment variable naming the default cache folder (tests point it at a temporary one)."""
FILE_NAME = "results-v1.sqlite3"
BUSY_TIMEOUT_SECONDS = 30.0


def default_cache_dir() -> Path:
    """`$SELLERSCAN_CACHE_DIR`, else the per-user cache folder of the platform."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("sellerscan", appauthor=False))


def digest(*parts: str | bytes) -> str:
    """A SHA-256 over `parts` (each length-prefixed, so boundaries count)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class ResultCache:
    """`get`/`put` pickled values by (namespace, key); see the module docstring."""

    def __init__(self, directory: Path | None) -> None:
        """Open (creating) the cache in `directory`; None: a cache that keeps nothing."""
        self.notes: list[str] = []
        self.hits = 0
        self.misses = 0
        self._db: sqlite3.Connection | None = None
        if directory is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(directory / FILE_NAME), timeout=BUSY_TIMEOUT_SECONDS,
                                     isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS entries (namespace TEXT NOT NULL, "
                           "key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (namespace, key))")
                self._db = db
            except (sqlite3.Error, OSError) as exc:
                self._off(f"cannot open the cache in {directory}", exc)

    @property
    def enabled(self) -> bool:
        """Whether entries are read and written."""
        return self._db is not None

    def get(self, namespace: str, key: str) -> Any | None:
        """The value stored under (namespace, key), or None (missing or unreadable)."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE namespace = ? AND key = ?",
                                   (namespace, key)).fetchone()
        except sqlite3.Error as exc:
            self._off("the cache cannot be read", exc)
            return None
        if row is None:
            self.misses += 1
            return None
        try:
            value = pickle.loads(row[0])
        except Exception:  # noqa: BLE001 - a damaged entry is a miss, never a crash
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, namespace: str, key: str, value: Any) -> None:
        """Store `value` under (namespace, key) (a no-op once the cache is off)."""
        if self._db is None:
            return
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            self._db.execute("INSERT OR REPLACE INTO entries (namespace, key, value) VALUES (?, ?, ?)",
                             (namespace, key, data))
        except (sqlite3.Error, pickle.PicklingError, RecursionError, TypeError) as exc:
            self._off("the cache cannot be written", exc)

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def _off(self, what: str, exc: BaseException) -> None:
        self.close()
        self.notes.append(f"{what} ({type(exc).__name__}: {exc}); scanning without the cache")
