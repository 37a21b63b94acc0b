"""Where pages come from: a folder tree (and, later, a git reference).

Walking a folder never follows a symbolic link out of the tree or round a loop: links to files
inside the tree are read, links to folders are not followed (their pages are read at their
real place), anything else is reported. Paths are relative to the tree, with `/`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .issues import issue, undecodable

SKIP_DIRS = {".git", ".hg", ".svn"}


@dataclass
class FolderListing:
    root: str
    files: list = field(default_factory=list)  # [(relpath, abspath)], sorted by relpath
    issues: list = field(default_factory=list)


def _inside(root_real: str, target: str) -> bool:
    return target == root_real or target.startswith(root_real + os.sep)


_CONTROL = re.compile(r"[\x00-\x1f]")


def list_folder(root: str, skip: str | None = None) -> FolderListing:
    """The files of the tree at root. `skip`: a folder inside it not to list (the output
    being written there: its tables and its temporary siblings are no pages)."""
    root = os.path.abspath(root)
    root_real = os.path.realpath(root)
    listing = FolderListing(root)
    stack = [(root, "")]  # (absolute folder, its path relative to root with a trailing /)
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            listing.issues.append(issue(prefix.rstrip("/") or ".", None, "unreadable-folder",
                                        f"cannot list folder: {exc.strerror or exc}"))
            continue
        # (One test for the whole folder: names that are not UTF-8, or hold control
        # characters, are rare.)
        names = "".join([entry.name for entry in entries])
        plain = undecodable(names) is None
        odd = plain and _CONTROL.search(names) is not None
        for entry in entries:
            rel = prefix + entry.name
            shown = None if plain else undecodable(entry.name)
            if shown is not None:
                what = "folder" if entry.is_dir(follow_symlinks=False) else "file"
                listing.issues.append(issue(prefix + shown, None, "undecodable-name",
                                            f"the {what} name {shown!r} is not UTF-8 (shown with U+FFFD); "
                                            f"not read{', nor the pages under it' if what == 'folder' else ''}"))
                continue
            try:
                if entry.is_symlink():
                    if _symlink(listing, root_real, entry.path, rel):
                        listing.files.append((rel, entry.path))
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS and not (skip and _is_output(entry, skip)):
                        stack.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    listing.files.append((rel, entry.path))
                else:  # sockets, fifos, devices: not pages, and reading one could block
                    listing.issues.append(issue(rel, None, "special-file",
                                                "a socket, FIFO or device file, not a page; not read"))
            except OSError as exc:
                listing.issues.append(issue(rel, None, "unreadable-file", f"cannot stat: {exc.strerror or exc}"))
                continue
            if (odd or not plain) and _CONTROL.search(entry.name):
                listing.issues.append(issue(rel, None, "odd-file-name",
                                            f"name {entry.name!r} holds control characters"))
    listing.files.sort()
    return listing


def _is_output(entry, out: str) -> bool:
    """Whether a folder is OUT (an absolute path) or one of the temporary folders written
    beside it (`.out.tmp-...`, `.out.old-...`: see writer._beside)."""
    parent, name = os.path.split(out)
    if entry.name == name or entry.name.startswith((f".{name}.tmp-", f".{name}.old-")):
        return os.path.realpath(os.path.dirname(entry.path)) == os.path.realpath(parent)
    return False


def _symlink(listing: FolderListing, root_real: str, full: str, rel: str) -> bool:
    """Report a symbolic link; True when it is a file link inside the tree, to be read."""
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
