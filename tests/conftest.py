"""Test-wide settings: the result cache never goes to the real per-user cache folder."""

from __future__ import annotations

import os
import tempfile

_CACHE = tempfile.TemporaryDirectory(prefix="sellerscan-test-cache-")
os.environ["SELLERSCAN_CACHE_DIR"] = _CACHE.name
