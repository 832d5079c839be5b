"""One writer per folder: an exclusive lock on a run directory or an export folder.

``folder_lock(folder)`` holds ``flock`` on ``folder/.ganzoo.lock`` and writes the holder's
process id and command line into it, so a second process is refused at once with a
message naming the first (two trainings into one run directory would otherwise interleave
their checkpoints and prune each other's files). The lock file is removed on release, and
the folders the lock created are removed again if they are still empty: a refused or failed
command leaves the folder as it was. A process killed while holding the lock leaves the
file behind; the kernel drops the lock itself, so the next process takes it over.
"""

import contextlib
import fcntl
import os
import sys

LOCK_FILE = ".ganzoo.lock"


class FolderBusy(ValueError):
    """Another process is writing the folder; the message names it."""


def _holder(fd):
    text = os.pread(fd, 4096, 0).decode(errors="replace").strip()
    return text or "another process"


def _acquire(path, folder):
    """An open, locked descriptor of ``path``; retries when its previous holder removed it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise FolderBusy(f"{folder} is in use by {holder}: wait for it to finish or "
                             "choose another folder.") from None
        try:
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def folder_lock(folder):
    """Holds ``folder``'s lock (creating the folder and its parents if needed) for the
    ``with`` block."""
    missing, parent = [], os.path.abspath(folder)
    while not os.path.isdir(parent):
        if os.path.exists(parent):
            raise FolderBusy(f"{parent} is a file, not a folder: choose another path.")
        missing.append(parent)
        parent = os.path.dirname(parent)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, LOCK_FILE)
    fd = _acquire(path, folder)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} ({' '.join(sys.argv)})".encode(), 0)
        yield
    finally:
        os.unlink(path)
        os.close(fd)
        for created in missing:  # innermost first
            if not os.listdir(created):
                os.rmdir(created)
