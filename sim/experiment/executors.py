"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Every executor runs the same pure function on the same inputs (a scenario, a replication's
seed sequence, the policy) and hands back results keyed by (point, replication), so results are
bit-identical whatever the executor and the number of workers; only the order in which they
finish differs, and nothing depends on that order.

- :class:`SerialExecutor` runs each task in this process, in the order submitted.
- :class:`ProcessExecutor` uses :class:`concurrent.futures.ProcessPoolExecutor` with the
  *spawn* start method on every platform (what Windows and macOS use anyway), so what is
  tested on Linux is what runs everywhere, and notebooks work. Workers ignore Ctrl-C, SIGTERM
  and SIGHUP: the main process decides what to keep and stops them. They also end when the
  main process dies, even by kill -9 (see :func:`_worker_start`), and so does the resource
  tracker that multiprocessing starts beside them.
- :class:`DaskExecutor` starts a ``dask.distributed`` local cluster, or joins a running
  scheduler (``address``), or uses a client you already have (``client``).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_ready
from typing import Any

EXECUTORS = ("serial", "processes", "dask")
DASK_HINT = "pip install -e '.[dask]' in the project's folder (make test installs it)"
STARTUP_SECONDS = 2.0
"""About what starting worker processes costs (each spawns Python and imports bordersim): the
default uses them only when they save more than that."""


class ExecutorError(Exception):
    """An executor cannot be used as asked (a missing package, an unreachable scheduler...)."""


class WorkerLost(ExecutorError):
    """A worker stopped before finishing its task (killed, or out of memory)."""


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # Windows, macOS
        return os.cpu_count() or 1


class Executor:
    """Runs ``fn(arg)`` for each submitted task; :meth:`results` yields ``(key, value)`` pairs
    as tasks finish, including tasks submitted while iterating."""

    name = "executor"
    workers = 1
    remote = True
    """Whether tasks run in other processes: they are then sent as bytes (see :meth:`dumps`),
    so that a worker can load the policy plug-ins before it reads them."""

    def dumps(self, obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def submit(self, key: Hashable, fn: Callable[[Any], Any], arg: Any) -> None:
        raise NotImplementedError

    def results(self) -> Iterator[tuple[Hashable, Any]]:
        raise NotImplementedError

    def close(self, cancel: bool = False) -> None:
        """Release the workers; ``cancel`` drops unfinished tasks without waiting for them."""

    def describe(self) -> str:
        return self.name if self.workers == 1 else f"{self.name} ({self.workers} workers)"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)


class SerialExecutor(Executor):
    """Runs every task in this process, one after the other, in the order submitted."""

    name = "serial"
    remote = False

    def __init__(self) -> None:
        self._queue: deque[tuple[Hashable, Callable[[Any], Any], Any]] = deque()

    def submit(self, key: Hashable, fn: Callable[[Any], Any], arg: Any) -> None:
        self._queue.append((key, fn, arg))

    def results(self) -> Iterator[tuple[Hashable, Any]]:
        while self._queue:
            key, fn, arg = self._queue.popleft()
            yield key, fn(arg)

    def close(self, cancel: bool = False) -> None:
        self._queue.clear()


WORKER_IGNORES = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals a worker ignores: a terminal's Ctrl-C or hang-up, or a batch system's SIGTERM,
reaches the whole process group; only the main process acts on them (see the CLI)."""

PR_SET_PDEATHSIG = 1


def _worker_start(parent: int, lifeline: Connection, deathsig: bool) -> None:
    """Worker initialiser: ignore the signals the main process handles, and end with the main
    process, kill -9 included.

    Two guards: on Linux the kernel kills the worker when the thread that started it ends
    (``deathsig``, asked only when that thread is the main thread, which lives as long as the
    process); everywhere, a thread waits on ``lifeline``, a pipe whose writing end only the
    main process holds, and ends the worker when the pipe closes. Without them a worker would
    wait forever for its next task (each worker holds both ends of the task queue)."""
    for signum in WORKER_IGNORES:
        signal.signal(signum, signal.SIG_IGN)
    if deathsig:
        _die_with_parent()
    threading.Thread(
        target=_watch_parent, args=(lifeline,), name="bordersim-lifeline", daemon=True
    ).start()
    if os.getppid() != parent:  # the main process died before the guards were in place
        os._exit(1)


def _die_with_parent() -> None:
    """Linux: ask the kernel for SIGKILL when the parent thread ends (``PR_SET_PDEATHSIG``)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _DeferredSignals:
    """Ctrl-C, SIGTERM and SIGHUP noted while worker processes run, and acted on only where
    :class:`ProcessExecutor` holds none of the pool's locks.

    Python raises KeyboardInterrupt at whatever line the main thread is on. Inside
    ``concurrent.futures`` (submitting, or setting up a wait on the futures) that can leave a
    lock held that the pool's manager thread needs next, a future's condition or the queue of
    work ids; the thread then waits forever, and since Python joins it at exit, the command
    hangs after saying it was interrupted. So the handlers only note the signal, and
    :meth:`deliver` raises it again, with the handlers put back, between two waits for results
    or at the end of :meth:`ProcessExecutor.close`. In another thread than the main one
    (where Python runs no handler) nothing changes."""

    def __init__(self) -> None:
        self.caught: int | None = None
        self._saved: dict[int, Any] = {}

    def hold(self) -> None:
        if self._saved or threading.current_thread() is not threading.main_thread():
            return
        for signum in WORKER_IGNORES:
            handler = signal.getsignal(signum)
            if handler not in (signal.SIG_IGN, None):  # one that is ignored stays ignored
                self._saved[signum] = signal.signal(signum, self._note)

    def _note(self, signum: int, frame: object) -> None:
        if self.caught is None:
            self.caught = signum

    def deliver(self) -> None:
        """Put the handlers back; a signal noted meanwhile is raised again, here."""
        saved, self._saved = self._saved, {}
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        caught, self.caught = self.caught, None
        if caught is not None:
            signal.raise_signal(caught)  # its own handler runs now: KeyboardInterrupt, say


SIGNAL_POLL_SECONDS = 0.1
"""How often a wait for results looks for a noted Ctrl-C (see :class:`_DeferredSignals`)."""


def _watch_parent(lifeline: Connection) -> None:
    """Wait until the main process's end of the pipe closes, then end this worker at once."""
    with contextlib.suppress(OSError, EOFError):
        wait_ready([lifeline])  # nothing is ever sent: it wakes when the pipe closes
    os._exit(1)


class ProcessExecutor(Executor):
    """Local worker processes (``workers`` defaults to every CPU)."""

    name = "processes"

    def __init__(self, workers: int | None = None, start_method: str = "spawn") -> None:
        self.workers = workers or cpu_count()
        if sys.platform == "win32":
            self.workers = min(self.workers, 61)  # the most Windows can wait on
        self._context = multiprocessing.get_context(start_method)
        self._pool: ProcessPoolExecutor | None = None
        self._lifeline: tuple[Connection, Connection] | None = None
        self._pending: dict[Future, tuple[int, Hashable]] = {}
        self._seq = 0
        self._finished = 0
        self._signals = _DeferredSignals()

    def _started(self) -> ProcessPoolExecutor:
        """The pool, made at the first task: its workers start in the thread that submits
        (what ``PR_SET_PDEATHSIG`` ties them to)."""
        if self._pool is None:
            self._signals.hold()
            reader, writer = self._context.Pipe(duplex=False)
            self._lifeline = (reader, writer)
            main = threading.current_thread() is threading.main_thread()
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._context,
                initializer=_worker_start,
                initargs=(os.getpid(), reader, main),
            )
        return self._pool

    def submit(self, key: Hashable, fn: Callable[[Any], Any], arg: Any) -> None:
        try:
            future = self._started().submit(fn, arg)
        except BrokenProcessPool as exc:
            # A worker died since the last result was handed over, and replications that
            # finished before it may not have been handed over yet: the failure is reported
            # by results(), after them, so no finished point is lost.
            future = Future()
            future.set_exception(exc)
        self._pending[future] = (self._seq, key)
        self._seq += 1

    def results(self) -> Iterator[tuple[Hashable, Any]]:
        while self._pending:
            if self._signals.caught is not None:
                self._signals.deliver()
            done, _ = wait(
                list(self._pending), timeout=SIGNAL_POLL_SECONDS, return_when=FIRST_COMPLETED
            )
            if not done:
                continue
            # Hand over every success before reporting a failure: when a worker dies, the
            # replications that had finished still count.
            ordered = sorted(done, key=lambda f: self._pending[f][0])
            failed = [f for f in ordered if f.exception() is not None]
            for future in ordered:
                if future not in failed:
                    self._finished += 1
                    yield self._pending.pop(future)[1], future.result()
            if failed:
                exc = failed[0].exception()
                if isinstance(exc, BrokenProcessPool):
                    raise WorkerLost(_LOST if self._finished else _NEVER_STARTED) from exc
                raise exc  # type: ignore[misc]

    def close(self, cancel: bool = False) -> None:
        self._pending.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            self._signals.hold()  # a second Ctrl-C waits until the pool is stopped
        try:
            if pool is not None and not cancel:
                pool.shutdown(wait=True)
            elif pool is not None:
                _stop(pool)
            if self._lifeline is not None:
                for end in self._lifeline:
                    end.close()
                self._lifeline = None
        finally:
            self._signals.deliver()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: unstarted tasks are dropped and running ones killed, so that an
    interrupted run exits at once instead of waiting for the tasks in flight.

    A worker killed while it writes a result leaves half a message in the result pipe, and the
    pool's manager thread then waits in ``recv`` for the rest; since this process holds the
    pipe's writing end too, the rest never comes, and the thread (which Python joins at exit)
    hangs the program. So once the workers are dead this process closes its writing end:
    ``recv`` then sees the end of the pipe, and the manager thread winds the pool up."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.kill()  # SIGKILL: workers ignore SIGTERM (see WORKER_IGNORES)
    for proc in procs:
        proc.join(timeout=30)
    if results is not None and not any(proc.is_alive() for proc in procs):
        with contextlib.suppress(OSError):
            results._writer.close()


_LOST = (
    "a worker process stopped before finishing its replication "
    "(killed, or out of memory: try fewer --workers)"
)
_NEVER_STARTED = (
    "worker processes stopped before finishing any replication. From a script, put the code "
    'that runs experiments under `if __name__ == "__main__":`, since each worker process '
    "imports the script; otherwise they were killed or ran out of memory"
)


_LOCAL_CLUSTER_CONFIG = {
    # The statistical profiler samples the stack of every task every 10 ms: overhead that a
    # simulation pays for nothing.
    "distributed.worker.profile.enabled": False,
    # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers' environment (and in this process's,
    # before it starts them). In glibc that also pins the mmap threshold at 128 KiB, so every
    # large temporary of a replication is mapped and page-faulted afresh: 4-6% slower on the
    # stretched baseline and on M/M/c. bordersim hands freed memory back itself, after each
    # phase of a run (sim/heap.py).
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # Housekeeping of the scheduler, the nannies and the workers: an event-loop health check
    # every 20 ms, a system monitor every 0.5 s (both only feed the dashboard and logs) and
    # a memory monitor every 0.1 s. An idle local cluster of 2 workers spent about 5% of a
    # core on them, 1% with these settings; the memory monitor still stops a runaway worker.
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "500ms",
}
"""Settings of a local cluster that :class:`DaskExecutor` starts (not of a cluster it joins or
a client it is given): with them, two Dask workers run long tasks as fast as two worker
processes of :class:`ProcessExecutor` do (about 5% slower without them)."""


class DaskExecutor(Executor):
    """A ``dask.distributed`` cluster: a local one it starts (``workers`` processes, one
    thread each), a running scheduler at ``address``, or an existing ``client``."""

    name = "dask"

    def __init__(
        self,
        workers: int | None = None,
        *,
        address: str | None = None,
        client: Any = None,
        processes: bool = True,
        timeout: float = 20.0,
    ) -> None:
        distributed = require_dask()
        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif address is not None:
            self.client = _join(distributed, address, timeout)
        else:
            import logging

            import dask

            # Workers read these settings when they start (see _LOCAL_CLUSTER_CONFIG).
            with dask.config.set(_LOCAL_CLUSTER_CONFIG):
                self._cluster = distributed.LocalCluster(
                    n_workers=workers or cpu_count(),
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,  # nobody is told its address: no dashboard
                    silence_logs=logging.ERROR,
                )
            self.client = distributed.Client(self._cluster)
        info = self.client.scheduler_info() if hasattr(self.client, "scheduler_info") else {}
        self.workers = max(1, len(info.get("workers", {})) or (workers or 1))
        self.where = (
            f"scheduler {address}" if address else "your client" if client else "local cluster"
        )
        self._as_completed = distributed.as_completed(with_results=False)
        self._keys: dict[Any, Hashable] = {}

    def dumps(self, obj: Any) -> bytes:
        import cloudpickle  # as Dask itself would: lambdas and notebook classes travel too

        return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def submit(self, key: Hashable, fn: Callable[[Any], Any], arg: Any) -> None:
        future = self.client.submit(fn, arg, pure=False)
        self._keys[future.key] = key
        self._as_completed.add(future)

    def results(self) -> Iterator[tuple[Hashable, Any]]:
        distributed = require_dask()
        for future in self._as_completed:
            key = self._keys.pop(future.key)
            try:
                value = future.result()
            except distributed.KilledWorker as exc:
                raise WorkerLost(f"{_LOST}; Dask: {exc}") from None
            future.release()
            yield key, value

    def close(self, cancel: bool = False) -> None:
        if cancel:
            futures = list(self._as_completed.futures)
            if futures:
                self.client.cancel(futures)
        self._as_completed.clear()
        self._keys.clear()
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def describe(self) -> str:
        return f"dask ({self.where}, {self.workers} workers)"


def _join(distributed: types.ModuleType, address: str, timeout: float) -> Any:
    """A client of the scheduler at ``address``, or an :class:`ExecutorError` within about
    ``timeout`` seconds: whatever answers there is checked first (:func:`check_scheduler`)."""
    hint = "check the address (e.g. tcp://10.0.0.5:8786) and that a Dask scheduler runs there"
    try:
        check_scheduler(address, timeout)
        return distributed.Client(address, timeout=timeout)
    except ExecutorError as exc:
        raise ExecutorError(f"cannot join the Dask scheduler at {address}: {exc}; {hint}") from None
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(
            f"cannot reach the Dask scheduler at {address}: {exc}; {hint}"
        ) from None
    except Exception as exc:  # Dask read something that is not its protocol
        raise ExecutorError(
            f"cannot join the Dask scheduler at {address}: it did not answer as a Dask "
            f"scheduler ({type(exc).__name__}: {exc}); {hint}"
        ) from None


HANDSHAKE_BYTES = 1 << 20
"""The most a scheduler's first message may hold (a real one sends about 60 bytes)."""


def check_scheduler(address: str, timeout: float) -> None:
    """Check that a ``tcp://`` address answers with a Dask handshake within ``timeout``
    seconds, before Dask itself connects: Dask reads a message's length first and then waits
    for (or allocates) that many bytes, so a server that says nothing, or something else,
    would make it wait forever or run out of memory. Other protocols are left to Dask."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp"):
        return
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        return  # Dask says what is wrong with it
    deadline = _Deadline(timeout)
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as conn:
        (size,) = struct.unpack("<Q", _read(conn, 8, deadline))
        if not 16 <= size <= HANDSHAKE_BYTES:
            raise ExecutorError(
                f"it did not answer as a Dask scheduler (a first message of {size} bytes)"
            )
        body = _read(conn, size, deadline)
    frames = struct.unpack_from("<Q", body)[0]
    framed = 0 < frames <= 64 and size >= 8 * (1 + frames)
    lengths = struct.unpack_from(f"<{frames}Q", body, 8) if framed else ()
    if not framed or 8 * (1 + frames) + sum(lengths) != size:
        raise ExecutorError("it did not answer as a Dask scheduler (not Dask's message framing)")


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise ExecutorError("it did not answer as a Dask scheduler in time")
        return left


def _read(conn: socket.socket, size: int, deadline: _Deadline) -> bytes:
    """Exactly ``size`` bytes before the deadline."""
    data = bytearray()
    while len(data) < size:
        conn.settimeout(deadline.left())
        try:
            chunk = conn.recv(size - len(data))
        except TimeoutError:
            raise ExecutorError("it did not answer as a Dask scheduler in time") from None
        if not chunk:
            raise ExecutorError("it closed the connection without a Dask handshake")
        data += chunk
    return bytes(data)


def require_dask() -> types.ModuleType:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(f"the dask executor needs dask.distributed: {DASK_HINT}") from None
    return distributed


# --------------------------------------------------------------------------- choosing one


class _Probe(pickle.Pickler):
    """A pickler that notes references to ``__main__``: a spawned worker cannot import them
    unless the main module is a file it can run again (not a notebook or ``python -c``)."""

    main_refs: list[str]

    def persistent_id(self, obj: Any) -> None:
        if isinstance(obj, type | types.FunctionType):
            module = getattr(obj, "__module__", None)
        else:
            module = type(obj).__module__
        if module == "__main__":
            self.main_refs.append(getattr(obj, "__qualname__", type(obj).__qualname__))
        return None


def unshippable(obj: Any) -> str | None:
    """Why ``obj`` cannot be sent to a spawned worker process, or None if it can."""
    import io

    probe = _Probe(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL)
    probe.main_refs = []
    try:
        probe.dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        return f"it cannot be pickled ({exc})"
    main = sys.modules.get("__main__")
    if probe.main_refs and not getattr(main, "__file__", None):
        where = "a notebook or an interactive session"
        return f"{probe.main_refs[0]} is defined in {where}, which worker processes cannot import"
    return None


def make_executor(
    kind: str | Executor | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    tasks: int = 2,
    seconds: float = float("inf"),
    payload: Any = None,
) -> Executor:
    """The executor asked for; by default local processes on every CPU, or this process when
    that is faster (fewer than two tasks, or ``seconds`` of work too few for the workers to save
    their :data:`STARTUP_SECONDS`) or necessary (``payload``, the policy, cannot be sent to
    another process).

    Explicit choices are never second-guessed: an impossible one raises :class:`ExecutorError`.
    """
    if isinstance(kind, Executor):
        return kind
    if kind is not None and kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r}; allowed: {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ExecutorError(f"workers must be at least 1, got {workers}")
    if scheduler is not None:
        if kind not in (None, "dask"):
            raise ExecutorError(f"--scheduler needs the dask executor, not {kind!r}")
        return DaskExecutor(workers, address=scheduler)
    if kind == "serial":
        if workers not in (None, 1):
            raise ExecutorError(
                "the serial executor has one worker; drop --workers or choose --executor processes"
            )
        return SerialExecutor()
    if kind == "dask":
        return DaskExecutor(workers)
    why = unshippable(payload) if payload is not None else None
    if kind == "processes":
        if why:
            raise ExecutorError(_cannot_ship(why))
        return ProcessExecutor(workers)
    # The default: processes when they pay off.
    if why:
        if workers not in (None, 1):
            raise ExecutorError(_cannot_ship(why))
        return SerialExecutor()
    n = min(workers or cpu_count(), tasks)
    if n < 2 or (workers is None and seconds * (1 - 1 / n) < STARTUP_SECONDS):
        return SerialExecutor()
    return ProcessExecutor(n)


def _cannot_ship(why: str) -> str:
    return (
        f"the policy cannot be sent to worker processes: {why}. Pass a sim.Policy subclass "
        "defined in a module (or 'module:Class'), or use executor='serial' or 'dask'"
    )


__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "ProcessExecutor",
    "SerialExecutor",
    "WorkerLost",
    "cpu_count",
    "make_executor",
    "unshippable",
]
