"""Worker processes that read pages in parallel, each fed through a pipe of its own.

Not multiprocessing.Pool: its task and result queues are shared by all workers and guarded by
locks a worker holds while it sends. A worker stopped in the middle of sending a result
(several MB of Arrow tables; an interrupt kills workers at any moment) leaves that lock taken,
and the pool's own threads, which `terminate()` joins, wait for it for ever. Its watcher
thread also spins whenever a result is waiting in the pipe. Here the main process waits on the
workers' pipes and on their exit: a worker that dies is seen at once, and stopping early means
killing the workers, with nothing shared left locked.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing.connection import wait

from .errors import ExtractorError


class WorkerDied(ExtractorError):
    """A worker process ended before sending its result (killed, or out of memory)."""


def _serve(conn, work, initializer) -> None:
    """The worker's loop: (number, task) in, (number, work(task)) out, until None."""
    if initializer is not None:
        initializer()
    while True:
        try:
            task = conn.recv()
        except EOFError:  # the main process is gone
            return
        if task is None:
            return
        number, item = task
        conn.send((number, work(item)))


_DIED = "a worker process ended while reading pages (killed, or out of memory)"


def _send(conn, task) -> None:
    try:
        conn.send(task)
    except OSError:  # its end of the pipe is closed: the worker is gone
        raise WorkerDied(_DIED) from None


class Workers:
    """`jobs` forked processes applying `work` to tasks. Use as a context manager; leaving it
    (normally or by an exception) ends every worker."""

    def __init__(self, jobs: int, work, initializer=None):
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        self._jobs, self._work, self._initializer = jobs, work, initializer
        self._procs: list = []  # [(process, connection)]

    def __enter__(self):
        for _ in range(self._jobs):
            parent, child = self._ctx.Pipe(duplex=True)
            proc = self._ctx.Process(target=_serve, args=(child, self._work, self._initializer), daemon=True)
            self._procs.append((proc, parent))
            proc.start()
            child.close()
        return self

    def __exit__(self, kind, exc, tb):
        # Normally every worker has been told to stop and is ending by itself; after an
        # exception the ones still at work are killed (they hold nothing worth keeping).
        for proc, conn in self._procs:
            if kind is not None and proc.is_alive():
                proc.kill()
        for proc, conn in self._procs:
            proc.join()
            conn.close()
        return False

    def results(self, tasks: list):
        """Yield (index in tasks, result) as the workers finish them; each worker is handed
        the next task as soon as it sends a result, in the order of `tasks`."""
        pending = iter(enumerate(tasks))
        busy: dict = {}  # connection -> process
        for proc, conn in self._procs:
            task = next(pending, None)
            _send(conn, task)  # None: nothing for this worker, it stops
            if task is not None:
                busy[conn] = proc
        while busy:
            ready: list = wait([*busy, *(p.sentinel for p in busy.values())])
            for conn in [r for r in ready if r in busy]:
                try:
                    number, result = conn.recv()
                except (EOFError, OSError):
                    raise WorkerDied(_DIED) from None
                task = next(pending, None)
                _send(conn, task)
                if task is None:
                    del busy[conn]
                yield number, result
            ended = [c for c, p in busy.items() if p.sentinel in ready and not c.poll()]
            if ended:
                raise WorkerDied(_DIED)
