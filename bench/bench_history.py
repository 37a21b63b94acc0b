"""How much does converting a whole release history cost, against one release's convert?

    python bench/bench_history.py [--releases 29] [--jobs N] [--json] [--keep DIR]

Builds a git repository whose branches are `--releases` releases of the docs family: the three
real trees of ../shared/corpus in date order, each followed by releases that change a few pages
(a parser link added to some data-source pages, a rule to some rules-and-models pages), as
consecutive real releases do. Then, in one run, times:

  (a) `extractor convert REPO@<newest real release>`: one release;
  (b) `extractor history REPO`: every release, from an empty output folder;
  (c) `extractor history REPO` again: nothing new, the rerun.

and prints the times, (b)/(a) (target: at most 8) and (b)/(c) (target: at least 10).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT.parent / "shared" / "corpus"
TREES = ["content-doc-2022-08-30", "cim2-2025.26.1", "cim2-2026.6.1"]
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


def unpack(dest: Path) -> dict:
    trees = {}
    for name in TREES:
        archive = CORPUS / f"{name}.tar.xz"
        if not archive.exists():
            sys.exit(f"missing {archive}: the history benchmark needs the corpus")
        with tarfile.open(archive) as tar:
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, **kwargs)
        trees[name] = dest / name
    return trees


def _touch_pages(work: Path, step: int, pages: list) -> None:
    """Change a few pages the way a release does: a new parser under a data-source use case."""
    for i, page in enumerate(pages[step * 7: step * 7 + 7]):
        text = page.read_text(encoding="utf-8", errors="replace")
        marker = "<br> ↳["
        at = text.find(marker)
        if at < 0:
            continue
        extra = f"<br> ↳[bench-parser-r{step}-{i}](Ps/pC_benchparserr{step}{i}.md)"
        page.write_text(text[:at] + extra + text[at:], encoding="utf-8")


def build_repo(repo: Path, trees: dict, releases: int) -> list:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    work = repo
    per_tree = [releases // len(TREES)] * len(TREES)
    for i in range(releases - sum(per_tree)):
        per_tree[-1 - i] += 1
    names = []
    for tree_name, count in zip(TREES, per_tree):
        for entry in work.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        shutil.copytree(trees[tree_name], work, dirs_exist_ok=True, symlinks=True)
        pages = sorted(p for p in work.rglob("*.md") if p.name.startswith("ds_"))
        for step in range(count):
            if step:
                _touch_pages(work, step, pages)
            name = f"{tree_name}-r{step:02d}"
            subprocess.run(["git", "-C", str(work), "add", "-A"], check=True)
            subprocess.run([*GIT, "-C", str(work), "commit", "-q", "-m", name], check=True)
            subprocess.run(["git", "-C", str(work), "branch", name], check=True)
            names.append(name)
    return names


def timed(cmd: list) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--releases", type=int, default=29)
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", help="build the repository here and keep it")
    ap.add_argument("--repo", help="reuse a repository built earlier with --keep")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        t0 = time.perf_counter()
        if args.repo:
            repo = Path(args.repo)
            names = subprocess.run(["git", "-C", str(repo), "for-each-ref", "--format=%(refname:short)",
                                    "refs/heads"], check=True, capture_output=True, text=True).stdout.split()
            names = [n for n in names if n != "main"]
        else:
            trees = unpack(tmp / "trees")
            repo = Path(args.keep) if args.keep else tmp / "repo"
            names = build_repo(repo, trees, args.releases)
        setup = time.perf_counter() - t0
        exe = [str(Path(sys.executable).parent / "extractor")]
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        newest = [n for n in names if n.startswith(TREES[-1])][0]
        one = timed([*exe, "convert", f"{repo}@{newest}", "-o", str(tmp / "one"), "-q", *jobs])
        first = timed([*exe, "history", str(repo), "-o", str(tmp / "hist"), "-q", *jobs])
        rerun = timed([*exe, "history", str(repo), "-o", str(tmp / "hist"), "-q", *jobs])
        result = {"releases": len(names), "setup_s": round(setup, 1), "one_release_s": round(one, 2),
                  "history_s": round(first, 2), "rerun_s": round(rerun, 2),
                  "history_over_one": round(first / one, 2), "first_over_rerun": round(first / rerun, 1)}
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(f"{len(names)} releases (repository built in {setup:.0f} s)")
            print(f"one release convert : {one:7.2f} s")
            print(f"history, first run  : {first:7.2f} s  = {first / one:.2f} x one release (target <= 8)")
            print(f"history, rerun      : {rerun:7.2f} s  first/rerun = {first / rerun:.1f} (target >= 10)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
