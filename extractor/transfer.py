"""Arrow tables from a worker process to the main one, without pickling their data.

A release's tables are about 90 MB of Arrow buffers. Pickled, every byte is copied into the
pickle, through the pipe, out of it and into new buffers: a third of a second of work in each
worker and in the main process, and the main process's share is taken from the workers (two
of them keep both cores busy). On Linux a worker instead writes its tables once, in Arrow's
IPC format, straight into an anonymous in-memory file (memfd), and passes the file's
descriptor beside its result. The main process maps the file and takes the tables from it in
place: no copy and no parsing of the data. (Reading the file into new memory instead cost
the main process 0.3-0.4 s of CPU a release, nearly all of it the kernel handing out and
zeroing fresh pages.) No file is ever named, and the memory goes with the last mapping or
descriptor: nothing is left behind, whatever stops the run.

Elsewhere (no memfd, or the file cannot be made) the tables travel pickled, as before.
"""
from __future__ import annotations

import io
import mmap
import os
import socket
import threading
import weakref

import pyarrow as pa

from .errors import ExtractorError

from multiprocessing import reduction

class TransferFailed(ExtractorError):
    """A worker's tables could not be received (not a worker that died: that is WorkerDied)."""


_ALIGN = 64  # each table's stream starts on a 64-byte boundary, as Arrow likes its buffers
_WRITE_BUFFER = 1 << 20
_CAN_MAP = hasattr(reduction, "sendfds") and hasattr(os, "memfd_create") and hasattr(os, "preadv")


class Packed:
    """Tables on their way out of a worker: either `tables` itself (pickled), or a memfd
    (`fd`, sent beside the pickle by send()) and where each table's stream lies in it."""

    __slots__ = ("tables", "fd", "layout")

    def __init__(self, tables: dict | None, fd: int | None = None, layout: tuple = ()):
        self.tables, self.fd, self.layout = tables, fd, layout

    def __getstate__(self):
        # The descriptor itself is meaningless in another process: only the layout travels.
        return (self.tables, self.layout)

    def __setstate__(self, state):
        self.tables, self.layout = state
        self.fd = None


def pack(tables: dict) -> Packed:
    """Tables ready to leave this process (see the module's docstring)."""
    if not _CAN_MAP or not tables:
        return Packed(tables)
    try:
        return _pack_mapped(tables)
    except (OSError, ValueError, pa.ArrowException):  # no memory for it, too many files...
        return Packed(tables)


def _write_streams(sink, tables: dict) -> list:
    """Each table as one IPC stream into `sink`, 64-byte aligned: [(name, start, size)]."""
    layout = []
    for name, table in tables.items():
        start = sink.tell()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        layout.append((name, start, sink.tell() - start))
        sink.write(b"\0" * (-sink.tell() % _ALIGN))
    return layout


def _pack_mapped(tables: dict) -> Packed:
    fd = os.memfd_create("extractor-tables", getattr(os, "MFD_CLOEXEC", 0))
    try:
        # Written into the file through a buffer that gathers the streams' many small pieces
        # (metadata, short columns) into few writes; large buffers pass straight through.
        raw = pa.PythonFile(io.FileIO(fd, "wb", closefd=False))
        with pa.BufferedOutputStream(raw, _WRITE_BUFFER) as sink:
            layout = _write_streams(sink, tables)
    except BaseException:
        os.close(fd)
        raise
    return Packed(None, fd, tuple(layout))


def send_result(conn, message) -> None:
    """Send a worker's (number, result). A result with a dict of tables in its `tables`
    (a tables.Chunk) has them packed (see the module's docstring), the memfd passed beside
    the pickle and closed here; anything else is sent as it is."""
    _number, chunk = message
    if not isinstance(getattr(chunk, "tables", None), dict):
        conn.send(message)
        return
    packed = chunk.tables = pack(chunk.tables)
    try:
        conn.send(message)
        if packed.fd is not None:
            with socket.socket(fileno=os.dup(conn.fileno())) as sock:
                reduction.sendfds(sock, [packed.fd])
    finally:
        if packed.fd is not None:
            os.close(packed.fd)
            packed.fd = None


def receive_result(conn):
    """What send_result sent: (number, chunk), the chunk's tables readable again."""
    number, chunk = conn.recv()
    packed = getattr(chunk, "tables", None)
    if not isinstance(packed, Packed):
        return number, chunk
    if packed.tables is not None:
        chunk.tables = packed.tables
        return number, chunk
    # (A worker gone between the two sends is an EOFError here, as for any result.)
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as sock:
            fds = reduction.recvfds(sock, 1)
    except RuntimeError as exc:  # the byte came without its descriptor: this process could
        # not take one more open file
        raise TransferFailed(f"could not receive a worker's tables ({exc}); is the limit of open "
                             "files (ulimit -n) very low?") from None
    try:
        data = _in_memory(fds[0])
    finally:
        os.close(fds[0])  # the file and its memory go with its mapping, or with this
    chunk.tables = {name: pa.ipc.open_stream(data.slice(start, size)).read_all()
                    for name, start, size in packed.layout}
    return number, chunk


# A mapping keeps a duplicate of its file's descriptor open for as long as its tables live
# (Python's mmap makes one). Mappings are kept to a quarter of the open-file limit, so that
# the files the conversion still has to open and write never run short; past that, or if a
# mapping cannot be made, the file is read into memory instead. The live ones are counted
# through weak references without callbacks: a callback run as the tables are freed is
# Python code a Ctrl-C can land in, and an exception there is printed and dropped (the
# interrupt lost, and a traceback shown).
_MAPPINGS: list = []  # weak references to the mappings made
_MAPPED_LOCK = threading.Lock()


def mapped() -> int:
    """How many mappings are alive (and hold a descriptor)."""
    with _MAPPED_LOCK:
        return _live()


def _live() -> int:
    _MAPPINGS[:] = [ref for ref in _MAPPINGS if ref() is not None]
    return len(_MAPPINGS)


def _map_budget() -> int:
    import resource  # (Unix only, as memfds are)

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1 << 30 if soft == resource.RLIM_INFINITY else soft // 4


def _in_memory(fd: int) -> pa.Buffer:
    """The whole memfd as one Arrow buffer: mapped where the budget allows, else read."""
    size = os.fstat(fd).st_size
    with _MAPPED_LOCK:
        if size == 0 or _live() >= _map_budget():
            return _read_all(fd, size)
        try:
            view = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        except (OSError, ValueError):  # out of descriptors or of address space
            return _read_all(fd, size)
        _MAPPINGS.append(weakref.ref(view))
    return pa.py_buffer(view)


def _read_all(fd: int, size: int) -> pa.Buffer:
    """The whole memfd, read into one new Arrow buffer (one copy, by the kernel)."""
    data = pa.allocate_buffer(size)
    view, at = memoryview(data), 0
    while at < size:
        got = os.preadv(fd, [view[at:]], at)
        if not got:
            raise EOFError("a worker's tables ended early")
        at += got
    return data
