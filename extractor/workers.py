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
from collections.abc import Iterator
from multiprocessing.connection import wait

from .errors import ExtractorError


class WorkerDied(ExtractorError):
    """A worker process ended before sending its result (killed, or out of memory)."""


def _serve(conn, work, tasks, initializer, send) -> None:
    """The worker's loop: a task's number in, (number, work(tasks[number])) out, until None."""
    if initializer is not None:
        initializer()
    while True:
        try:
            number = conn.recv()
        except EOFError:  # the main process is gone
            return
        if number is None:
            return
        send(conn, (number, work(tasks[number])))


_DIED = "a worker process ended while reading pages (killed, or out of memory)"
# Tasks a worker holds at once: it starts the next as soon as it has sent a result, instead
# of waiting for the main process to read that result (megabytes to unpickle) and answer.
_HELD = 2


def _plain_send(conn, message) -> None:
    conn.send(message)


def _plain_receive(conn):
    return conn.recv()


def _send(conn, number) -> None:
    try:
        conn.send(number)
    except OSError:  # its end of the pipe is closed: the worker is gone
        raise WorkerDied(_DIED) from None


class Workers:
    """`jobs` forked processes applying `work` to `tasks`. Use as a context manager; leaving it
    (normally or by an exception) ends every worker.

    The workers get the tasks when they start (inherited by fork), and then only their
    numbers through the pipes: so the main process only ever writes a few bytes to a pipe,
    and never waits on a worker that is itself waiting to send a result."""

    def __init__(self, jobs: int, work, tasks: list, initializer=None, send=None, receive=None):
        """`send(conn, (number, result))` in a worker and `receive(conn)` here carry a result
        through the pipe (by default conn.send and conn.recv)."""
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        self._jobs, self._work, self._tasks, self._initializer = jobs, work, tasks, initializer
        self._send = send or _plain_send
        self._receive = receive or _plain_receive
        self._procs: list = []  # [(process, connection)]

    def __enter__(self):
        for _ in range(self._jobs):
            parent, child = self._ctx.Pipe(duplex=True)
            proc = self._ctx.Process(target=_serve, args=(child, self._work, self._tasks, self._initializer, self._send),
                                     daemon=True)
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

    def results(self) -> Iterator[tuple]:
        """Yield (index in tasks, result) as the workers finish them; tasks are handed out in
        their order, each worker holding up to _HELD at a time."""
        pending = iter(range(len(self._tasks)))
        held: dict = {}  # connection -> its tasks not answered yet
        stopped: set = set()  # connections told to stop
        procs = {conn: proc for proc, conn in self._procs}

        def hand_out(conn) -> None:
            if conn in stopped:
                return
            number = next(pending, None)
            _send(conn, number)  # None: nothing more for it; it stops after what it holds
            if number is None:
                stopped.add(conn)
            else:
                held[conn] = held.get(conn, 0) + 1

        for _ in range(_HELD):
            for conn in procs:
                hand_out(conn)
        while held:
            ready: list = wait([*held, *(procs[c].sentinel for c in held)])
            for conn in [r for r in ready if r in held]:
                hand_out(conn)  # first: the worker has its next task while this one is read
                try:
                    number, result = self._receive(conn)
                except (EOFError, OSError):
                    raise WorkerDied(_DIED) from None
                held[conn] -= 1
                if not held[conn]:
                    del held[conn]
                yield number, result
            ended = [c for c in held if procs[c].sentinel in ready and not c.poll()]
            if ended:
                raise WorkerDied(_DIED)
