"""Map "scan one app" over a Dask distributed cluster (`sellerscan[distributed]`).

`address` is a scheduler address (`tcp://host:8786`) or `local` for a `LocalCluster` of
`jobs` worker processes on this machine. Each task is one `scan_app` call: the workers
read the inputs and write the result folders themselves, so on a real cluster both must
be on a filesystem every worker sees at the same path. Worker processes must be allowed
children (dask's `distributed.worker.daemon: false`) for the isolated parse workers; the
local cluster is started that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scanner.batch.app import AppDone, AppInput, AppRow, BatchSettings, crashed_row, scan_app
from scanner.options import ClusterLimits


class ClusterError(Exception):
    """Dask is not installed, or the cluster could not be reached."""


def scan_on_dask(apps: Sequence[AppInput], output_dir: Path, settings: BatchSettings,
                 address: str, jobs: int, on_done: AppDone | None = None,
                 limits: ClusterLimits | None = None) -> list[AppRow]:
    """Scan every app as one task on the cluster at `address` (or a local one) and return
    the rows in input order."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ClusterError("--dask needs the distributed extra: pip install "
                           "'sellerscan[distributed]'") from exc
    rows: list[AppRow | None] = [None] * len(apps)
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = (LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                dashboard_address=None) if address == "local" else None)
        try:
            timeout = (limits or ClusterLimits()).connect_timeout_seconds
            with Client(cluster if cluster is not None else address, timeout=timeout) as client:
                futures = {client.submit(scan_app, app, output_dir, settings, pure=False): i
                           for i, app in enumerate(apps)}
                for done, future in enumerate(as_completed(list(futures)), start=1):
                    i = futures[future]
                    try:
                        rows[i] = future.result()
                    except Exception as exc:  # noqa: BLE001 - a dead worker fails its app only
                        rows[i] = crashed_row(apps[i], exc)
                    if on_done:
                        on_done(done, len(apps), rows[i])  # type: ignore[arg-type]
        except OSError as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        finally:
            if cluster is not None:
                cluster.close()
    return [row for row in rows if row is not None]
