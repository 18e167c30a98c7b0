"""A pool of worker processes that run one task at a time each under resource limits.

Each worker's address space is capped (RLIMIT_AS) and each task gets its own CPU-time
allowance (RLIMIT_CPU, raised before every task; the kernel ends a worker that goes past
it) plus a wall-clock backstop enforced by the parent. A task that exhausts memory or
time, or kills its worker, is reported as failed with the reason and the worker is
replaced; the other tasks carry on. The pool is generic (any picklable module-level
function), so other stages can run on the same workers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

WORKER_STACK_BYTES = 64 * 1024 * 1024
"""Stack of the thread a task runs in (deeply nested input recurses in the parser)."""


@dataclass(frozen=True)
class Failed:
    """A task that ran out of memory or time, or whose worker died."""

    kind: str
    """"memory", "time" or "crash"."""
    detail: str


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker and of each task."""

    memory_bytes: int
    """Address-space limit of a worker process (RLIMIT_AS)."""
    cpu_seconds: int
    """CPU time one task may use (RLIMIT_CPU, per task)."""
    wall_seconds: float
    """Wall-clock backstop per task (the parent ends the worker past it)."""


def _set_memory_limit(memory_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _allow_cpu(seconds: int) -> None:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _run_in_thread(function: Callable[[Any], Any], argument: Any) -> tuple[str, Any]:
    outcome: list[tuple[str, Any]] = []

    def runner() -> None:
        try:
            outcome.append(("ok", function(argument)))
        except MemoryError:
            outcome.append(("memory", "out of memory"))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            outcome.append(("crash", f"{type(exc).__name__}: {exc}"))

    threading.stack_size(WORKER_STACK_BYTES)
    thread = threading.Thread(target=runner, name="sellerscan-worker-task")
    thread.start()
    thread.join()
    return outcome[0] if outcome else ("crash", "the task ended without a result")


def _worker_main(connection: Connection, memory_bytes: int, cpu_seconds: int) -> None:
    """A worker's loop: receive (function, argument), answer (status, value)."""
    _set_memory_limit(memory_bytes)
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        function, argument = task
        _allow_cpu(cpu_seconds)
        status, value = _run_in_thread(function, argument)
        try:
            connection.send((status, value))
        except MemoryError:
            connection.send(("memory", "out of memory sending the result"))
        if status == "memory":
            return  # a fresh worker for the next task


class _Worker:
    """One worker process and the task it is running."""

    def __init__(self, context: Any, limits: Limits) -> None:
        parent, child = context.Pipe()
        self.connection: Connection = parent
        self.process = context.Process(target=_worker_main, args=(child, limits.memory_bytes,
                                                                  limits.cpu_seconds), daemon=True)
        self.process.start()
        child.close()
        self.key: Any = None
        self.started = 0.0

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


class WorkerError(RuntimeError):
    """A worker process failed for a reason that is not its task (it could not start)."""


def _death(exitcode: int | None) -> Failed:
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        if number in (signal.SIGXCPU, signal.SIGKILL):
            return Failed("time", "went past the CPU-time limit")
        if number in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            return Failed("memory", f"the worker died ({signal.Signals(number).name}), most likely out of memory")
        return Failed("crash", f"the worker died ({signal.Signals(number).name})")
    raise WorkerError(
        f"a worker process exited with status {exitcode} instead of answering; if sellerscan is "
        "used as a library, the calling script needs an `if __name__ == \"__main__\":` guard "
        "(workers are started with multiprocessing), or parse in-process with "
        "ParseLimits(isolated=False)")


class GuardedPool:
    """`pool = GuardedPool(jobs, limits)`, then `for key, result in pool.run(fn, items)`
    (as often as needed), then `pool.close()`.

    Results come in completion order as (key, value) or (key, `Failed`)."""

    def __init__(self, jobs: int, limits: Limits, preload: tuple[str, ...] = ()) -> None:
        """`preload`: modules the workers import once, before any task (with a fork
        server, workers then start in milliseconds)."""
        self.jobs = max(1, jobs)
        self.limits = limits
        self.context: Any
        if "forkserver" in multiprocessing.get_all_start_methods():
            self.context = multiprocessing.get_context("forkserver")
            self.context.set_forkserver_preload(list(preload))
        else:  # pragma: no cover - not POSIX
            self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []

    def close(self) -> None:
        """End every worker."""
        for worker in self.workers:
            try:
                worker.connection.send(None)
            except (OSError, ValueError):
                pass
            worker.stop()
        self.workers = []

    def run(self, function: Callable[[Any], Any], items: Iterable[tuple[Any, Any]],
            idle: Callable[[], bool] | None = None) -> Iterator[tuple[Any, Any]]:
        """Run `function(argument)` for each (key, argument) of `items` on the workers.

        `idle`: the caller's own work, one piece per call, done here while no result is
        ready instead of waiting; it returns whether it has more (asked again after each
        result)."""
        idle_more = idle is not None
        pending = list(items)
        pending.reverse()
        while len(self.workers) < min(self.jobs, len(pending)):
            self.workers.append(_Worker(self.context, self.limits))
        busy: dict[Connection, _Worker] = {}
        while pending or busy:
            for worker in [w for w in self.workers if w.connection not in busy]:
                if not pending:
                    break
                key, argument = pending.pop()
                worker.key, worker.started = key, time.monotonic()
                worker.connection.send((function, argument))
                busy[worker.connection] = worker
            ready = wait(list(busy), timeout=0 if idle_more else 1.0)
            if not ready and idle is not None and idle_more:
                idle_more = idle()
            now = time.monotonic()
            for connection in list(busy):
                worker = busy[connection]
                result: Any
                if connection in ready:
                    try:
                        status, value = connection.recv()
                    except (EOFError, OSError):
                        worker.process.join(5)
                        result = _death(worker.process.exitcode)
                    else:
                        result = value if status == "ok" else Failed(status, str(value))
                elif now - worker.started > self.limits.wall_seconds:
                    result = Failed("time", f"went past the wall-clock limit of {self.limits.wall_seconds:g} s")
                else:
                    continue
                del busy[connection]
                idle_more = idle is not None
                yield worker.key, result
                if isinstance(result, Failed):
                    self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self.workers[self.workers.index(worker)] = _Worker(self.context, self.limits)


def worker_count() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
