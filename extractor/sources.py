"""Where pages come from: a folder tree (and, later, a git reference).

Walking a folder never follows a symbolic link out of the tree or round a loop: links to files
inside the tree are read, links to folders are not followed (their pages are read at their
real place), anything else is reported. Paths are relative to the tree, with `/`.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from .issues import issue

SKIP_DIRS = {".git", ".hg", ".svn"}


@dataclass
class FolderListing:
    root: str
    files: list = field(default_factory=list)  # [(relpath, abspath)], sorted by relpath
    issues: list = field(default_factory=list)


def _rel(root: str, path: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _inside(root_real: str, target: str) -> bool:
    return target == root_real or target.startswith(root_real + os.sep)


def list_folder(root: str) -> FolderListing:
    root = os.path.abspath(root)
    root_real = os.path.realpath(root)
    listing = FolderListing(root)

    def onerror(exc: OSError) -> None:
        rel = _rel(root, exc.filename) if exc.filename else "."
        listing.issues.append(issue(rel, None, "unreadable-folder",
                                    f"cannot list folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in list(dirnames):
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                _symlink(listing, root_real, full, is_dir_hint=True)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = _rel(root, full)
            if any(ord(ch) < 32 for ch in name):
                listing.issues.append(issue(rel, None, "odd-file-name",
                                            f"file name {name!r} holds control characters; read anyway"))
            if os.path.islink(full):
                if not _symlink(listing, root_real, full, is_dir_hint=False):
                    continue
            else:
                try:
                    mode = os.lstat(full).st_mode
                except OSError as exc:
                    listing.issues.append(issue(rel, None, "unreadable-file", f"cannot stat: {exc.strerror}"))
                    continue
                if not stat.S_ISREG(mode):
                    continue  # sockets, fifos, devices: not pages, and reading could block
            listing.files.append((rel, full))
    listing.files.sort()
    return listing


def _symlink(listing: FolderListing, root_real: str, full: str, is_dir_hint: bool) -> bool:
    """Report a symbolic link; True when it is a file link inside the tree, to be read."""
    rel = _rel(listing.root, full)
    try:
        target = os.path.realpath(full, strict=True)
    except (OSError, RuntimeError):
        listing.issues.append(issue(rel, None, "symlink-loop",
                                    "symbolic link does not resolve (a loop, or its target is missing)"))
        return False
    if not _inside(root_real, target):
        listing.issues.append(issue(rel, None, "symlink-outside-tree",
                                    "symbolic link points outside the tree; not followed"))
        return False
    if os.path.isdir(target):
        listing.issues.append(issue(rel, None, "symlink-dir",
                                    "symbolic link to a folder inside the tree; not followed"))
        return False
    return os.path.isfile(target)
