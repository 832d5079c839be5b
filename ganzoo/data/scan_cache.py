"""A folder's scan, remembered between runs: ``remembered(files, root, scan)``.

``folder:PATH`` datasets check every image before a run starts (``folder._scan``: PNG
checksums verified and JPEGs decoded by Pillow, then the size and grayscale mode read
back), which on a celeb_a-sized folder (200k files) takes minutes, on every start and
every resume.
``os.stat`` of the same 200k files takes about a second, so the scan's result, the
shared ``(width, height)`` and whether every image is grayscale, is kept in a small
JSON file keyed by what ``os.stat`` says of the files:

- key: sha256 over the absolute root and, for every file in order, its path relative to
  the root, its size and its ``st_mtime_ns``; adding, removing, renaming, reordering or
  rewriting a file gives another key, hence a new scan. The images are never opened.
- where: ``$GANZOO_CACHE/folder_scans/<key>.json``, ``~/.cache/ganzoo`` without
  ``GANZOO_CACHE``; written to a temporary file in that folder, then renamed into place.
- what: the scan's result and a format version. A file that cannot be read, is not
  JSON or holds another version is ignored (a new scan overwrites it). A cache folder
  that cannot be written costs the run nothing but the scan itself (one warning).

A scan that raises (an unreadable image, two sizes) remembers nothing. Neither does a
scan of files modified less than ``RECENT_S`` seconds before it: a file system's
timestamps have a granularity (milliseconds on ext4, 2 s on FAT), so a file rewritten at
the same size within one tick would keep its key.
"""

import hashlib
import json
import os
import tempfile
import time
import warnings

FORMAT = 2  # bump when the scan's result changes meaning (2: JPEGs decoded, not only opened)
SUBFOLDER = "folder_scans"
RECENT_S = 5


def cache_root():
    """``$GANZOO_CACHE``, or ``~/.cache/ganzoo`` when it is not set."""
    return os.environ.get("GANZOO_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "ganzoo")


def scan_key(files, root):
    """(hex sha256 of root and every file's relative path, size and mtime, newest mtime
    in ns), from ``os.stat`` alone; raises OSError for a file that is gone."""
    root = os.path.abspath(root)
    digest = hashlib.sha256(os.fsencode(root) + b"\0")
    newest = 0
    for path in files:
        stat = os.stat(path)
        relative = os.path.relpath(os.path.abspath(path), root)
        digest.update(os.fsencode(relative) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        newest = max(newest, stat.st_mtime_ns)
    return digest.hexdigest(), newest


def _load(path):
    """The remembered ((width, height), gray), or None for a missing, unreadable, malformed
    or other-version file."""
    try:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        return None
    size, gray = stored.get("size"), stored.get("gray")
    if not (isinstance(size, list) and len(size) == 2 and isinstance(gray, bool)
            and all(type(n) is int for n in size)):
        return None
    return (size[0], size[1]), gray


def _save(path, result):
    """Writes ``result`` to ``path`` atomically; an OSError (read-only cache, a file where
    its folder should be) only warns."""
    (width, height), gray = result
    text = json.dumps({"format": FORMAT, "size": [int(width), int(height)], "gray": bool(gray)})
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".scan-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        warnings.warn(f"The folder scan is not remembered: cannot write {folder} ({e}); set "
                      "GANZOO_CACHE to a writable folder to skip the scan next time.",
                      stacklevel=3)


def remembered(files, root, scan):
    """``scan(files, root)``, read from the cache when the files are unchanged since a
    remembered scan, otherwise scanned and remembered (see the module docstring).

    Args:
        files: the image paths, in the order the dataset reads them.
        root: the folder they were listed from (the key holds paths relative to it).
        scan: ``folder._scan``: (files, root) -> ((width, height), all_gray).
    """
    started = time.time_ns()
    try:
        key, newest = scan_key(files, root)
    except OSError:
        return scan(files, root)  # a file vanished: the scan reports it
    path = os.path.join(cache_root(), SUBFOLDER, f"{key}.json")
    result = _load(path)
    if result is None:
        result = scan(files, root)
        if newest < started - RECENT_S * 1_000_000_000:
            _save(path, result)
    return result
