"""Pages straight from a git object database: no checkout, no temporary copy of the tree.

git itself does the reading (`git ls-tree` for the listing, one long-lived
`git cat-file --batch` per process for the blobs): it works on bare repositories, needs no
extra library, and streams a whole release in well under a second. Refs are checked with
`rev-parse --verify --end-of-options`, so a ref spelled like an option is never an option.
"""
from __future__ import annotations

import os
import posixpath
import subprocess
from dataclasses import dataclass, field
from typing import IO, cast

from .errors import ExtractorError
from .issues import issue, undecodable


class GitError(ExtractorError):
    """git could not read that repository or reference"""


@dataclass
class GitListing:
    repo: str
    ref: str
    commit: str
    files: list = field(default_factory=list)  # [(path, blob_id, size)], sorted by path
    issues: list = field(default_factory=list)


def _git(repo: str, *args: str, input_: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", repo, *args], input=input_, capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"{repo}: {msg[-1] if msg else 'git failed'}")
    return proc.stdout


def is_repo(path: str) -> bool:
    if not os.path.isdir(path):
        return False
    proc = subprocess.run(["git", "-C", path, "rev-parse", "--git-dir"], capture_output=True)
    return proc.returncode == 0


def resolve(repo: str, ref: str) -> str:
    """The commit id a ref names; GitError when it names none."""
    if not is_repo(repo):
        raise GitError(f"{repo}: not a git repository")
    try:
        out = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"{repo}: no commit named {ref!r}") from None
    return out.decode().strip()


def refs(repo: str, patterns: list[str] | None = None, passed_over: list | None = None) -> list[tuple[str, str]]:
    """[(short ref name, commit)] for branches and tags matching any fnmatch pattern. A ref
    that names no commit (a tag of a tree or a blob) or whose name is not UTF-8 (it could not
    label a release) is left out, and put in `passed_over` as (name, why)."""
    if not is_repo(repo):
        raise GitError(f"{repo}: not a git repository")
    out = _git(repo, "for-each-ref",
               "--format=%(refname:short)%00%(objectname)%00%(objecttype)%00%(*objectname)%00%(*objecttype)",
               "refs/heads", "refs/tags")
    found: dict[str, str] = {}
    skipped: list = []
    for line in out.split(b"\n"):
        if not line:
            continue
        raw_name, obj, kind, peeled, peeled_kind = _fields(line)
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            skipped.append((raw_name.decode("utf-8", "replace"), "its name is not UTF-8"))
            continue
        if (peeled_kind or kind) != "commit":
            skipped.append((name, f"it names a {peeled_kind or kind}, not a commit"))
            continue
        found.setdefault(name, peeled or obj)
    if patterns:
        import fnmatch
        found = {n: c for n, c in found.items() if any(fnmatch.fnmatchcase(n, p) for p in patterns)}
        skipped = [(n, why) for n, why in skipped if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if passed_over is not None:
        passed_over.extend(sorted(skipped))
    return sorted(found.items())


def _fields(line: bytes) -> tuple:
    """One line of for-each-ref: (name as bytes, object, type, peeled object, peeled type)."""
    raw_name, obj, kind, peeled, peeled_kind = line.split(b"\0")
    return raw_name, obj.decode(), kind.decode(), peeled.decode(), peeled_kind.decode()


def list_tree(repo: str, ref: str) -> GitListing:
    commit = resolve(repo, ref)
    listing = GitListing(repo, ref, commit)
    # Run inside `repo`: in a subfolder of a work tree, ls-tree lists that folder's subtree
    # with paths relative to it, just as reading the folder itself would.
    out = _git(repo, "ls-tree", "-r", "-z", "--long", commit)
    links = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid, size = meta.split()
        path = raw_path.decode("utf-8", "surrogateescape")
        shown = undecodable(path)
        if shown is not None:
            listing.issues.append(issue(shown, None, "undecodable-name",
                                        f"the path {shown!r} is not UTF-8 (shown with U+FFFD); not read"))
            continue
        if kind == b"commit":
            listing.issues.append(issue(path, None, "submodule", "a git submodule; its pages are not read"))
        elif mode == b"120000":
            links[path] = oid.decode()
        elif kind == b"blob":
            listing.files.append((path, oid.decode(), int(size)))
    if links:
        _links(repo, listing, links)
    listing.files.sort()
    return listing


def _links(repo: str, listing: GitListing, links: dict) -> None:
    """Symbolic links stored in git: follow one only to a file of the same tree."""
    by_path = {p: (oid, size) for p, oid, size in listing.files}
    with BlobReader(repo) as reader:
        for path, oid in sorted(links.items()):
            target = reader.read(oid).decode("utf-8", "replace")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if target.startswith("/") or joined.startswith(".."):
                listing.issues.append(issue(path, None, "symlink-outside-tree",
                                            "symbolic link points outside the tree; not followed"))
            elif joined in by_path:
                listing.files.append((path, *by_path[joined]))
            else:
                listing.issues.append(issue(path, None, "symlink-loop",
                                            "symbolic link to nothing in the tree (a folder, a loop, or missing)"))


class BlobReader:
    """One `git cat-file --batch` process: blob id in, bytes out."""

    def __init__(self, repo: str):
        self.proc = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        # (Both were asked for as pipes, so neither is None.)
        self.stdin, self.stdout = cast(IO[bytes], self.proc.stdin), cast(IO[bytes], self.proc.stdout)

    def read(self, oid: str) -> bytes:
        self.stdin.write(oid.encode() + b"\n")
        self.stdin.flush()
        header = self.stdout.readline().split()
        if len(header) != 3:
            raise GitError(f"git cannot read object {oid}")
        size = int(header[2])
        data = self.stdout.read(size)
        self.stdout.read(1)  # the newline after each object
        return data

    def close(self) -> None:
        if self.proc.poll() is None:
            self.stdin.close()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
