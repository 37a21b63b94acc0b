"""How far is a full conversion from the floor of merely reading the tree?

    python bench/bench_convert.py [--tree PATH | --archive NAME] [--repeat 5] [--jobs N] [--json]

Unpacks ``../shared/corpus/<archive>.tar.xz`` (default ``cim2-2026.6.1``) into a temporary folder,
or uses ``--tree``. Then, ``repeat`` times, alternately:

(a) the floor: read every file under the tree (bytes) and run one regex over its lines (count the
    lines that start with ``|``), in this process;
(b) ``extractor.convert(tree, out, jobs=N)`` in a fresh subprocess, timed inside the child around
    the call alone (interpreter start and imports are reported apart), with its peak RSS.

Prints the median of each, the ratio convert/floor and the conversion's peak RSS in MB. ``--json``
prints the same figures as one JSON object. Always exits 0 unless the tree cannot be found or a
conversion fails.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT.parent / "shared" / "corpus"
PIPE_LINE = re.compile(rb"^\|", re.M)

# Runs in the child: times convert() alone and reports its own peak RSS and its workers' peak.
CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import extractor
t1 = time.perf_counter()
tree, out, jobs = sys.argv[1], sys.argv[2], (int(sys.argv[3]) if sys.argv[3] != "None" else None)
tables = sys.argv[4].split(",") if sys.argv[4] != "all" else None
summary = extractor.convert(tree, out, jobs=jobs, tables=tables)
t2 = time.perf_counter()
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
try:
    summary = json.loads(json.dumps(summary, default=lambda o: getattr(o, "__dict__", str(o))))
except Exception:
    summary = repr(summary)[:500]
print("\nBENCH-RESULT " + json.dumps({"import_s": t1 - t0, "convert_s": t2 - t1,
      "self_maxrss": me, "children_maxrss": kids, "summary": summary}))
"""


def maxrss_mb(value: int) -> float:
    """ru_maxrss is KiB on Linux, bytes on macOS."""
    return value / (1024 * 1024) if sys.platform == "darwin" else value / 1024


def unpack(archive: Path, dest: Path) -> Path:
    with tarfile.open(archive, "r:xz") as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
        else:  # pragma: no cover - old interpreters
            tf.extractall(dest)
    tops = [p for p in dest.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 else dest


def floor(tree: Path) -> tuple[float, int, int]:
    """Read every file and count lines starting with '|': (seconds, files, matching lines)."""
    t0 = time.perf_counter()
    files = lines = 0
    for dirpath, _dirs, names in os.walk(tree):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            files += 1
            lines += len(PIPE_LINE.findall(data))
    return time.perf_counter() - t0, files, lines


def convert(tree: Path, out: Path, jobs: int | None, tables: str = "all") -> dict:
    """One conversion in a fresh interpreter; returns the child's report plus wall time."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(out), str(jobs), tables],
        cwd=PROJECT, env=env, capture_output=True, text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"conversion failed (exit {proc.returncode})")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-RESULT ")][-1]
    report = json.loads(line[len("BENCH-RESULT "):])
    report["wall_s"] = wall
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--tree", type=Path, help="an unpacked docs tree (default: unpack --archive)")
    src.add_argument("--archive", default="cim2-2026.6.1", help="name in ../shared/corpus (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=None, help="passed to extractor.convert (default: its own)")
    ap.add_argument("--tables", default="all",
                    help="tables to convert: all (default), core, or comma-separated names")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        tmp = Path(tmp)
        if args.tree:
            tree = args.tree.resolve()
            if not tree.is_dir():
                ap.error(f"--tree {tree} is not a folder")
            label = str(tree)
        else:
            archive = CORPUS / f"{args.archive}.tar.xz"
            if not archive.is_file():
                ap.error(f"archive not found: {archive}")
            tree = unpack(archive, tmp / "tree")
            label = archive.name

        floor(tree)  # warm the page cache so neither side pays for the first read
        floors, runs = [], []
        for i in range(max(1, args.repeat)):
            seconds, files, lines = floor(tree)
            floors.append(seconds)
            runs.append(convert(tree, tmp / f"out-{i}", args.jobs, args.tables))
            if not args.json:
                r = runs[-1]
                print(f"run {i + 1}: floor {seconds:.3f}s  convert {r['convert_s']:.3f}s"
                      f" (wall {r['wall_s']:.3f}s, import {r['import_s']:.3f}s)", file=sys.stderr)

        floor_med = statistics.median(floors)
        conv_med = statistics.median(r["convert_s"] for r in runs)
        result = {
            "tree": label,
            "files": files,
            "pipe_lines": lines,
            "repeat": len(runs),
            "jobs": args.jobs,
            "tables": args.tables,
            "floor_median_s": round(floor_med, 4),
            "convert_median_s": round(conv_med, 4),
            "ratio": round(conv_med / floor_med, 2) if floor_med else None,
            "convert_wall_median_s": round(statistics.median(r["wall_s"] for r in runs), 4),
            "import_median_s": round(statistics.median(r["import_s"] for r in runs), 4),
            # the converting process itself, and the largest of its workers (if it spawned any)
            "peak_rss_mb": round(max(maxrss_mb(r["self_maxrss"]) for r in runs), 1),
            "worker_peak_rss_mb": round(max(maxrss_mb(r["children_maxrss"]) for r in runs), 1),
            # what the parent sees: the largest descendant over all runs
            "children_peak_rss_mb": round(maxrss_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), 1),
            "summary": runs[-1].get("summary"),
        }

    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(f"tree: {result['tree']} ({files} files, {lines} lines starting with '|')")
        print(f"floor (read + one regex), median of {len(runs)}: {floor_med:.3f} s")
        print(f"extractor.convert(jobs={args.jobs}, tables={args.tables}), median of {len(runs)}: {conv_med:.3f} s"
              f"  (subprocess wall {result['convert_wall_median_s']:.3f} s, imports {result['import_median_s']:.3f} s)")
        print(f"ratio convert/floor: {result['ratio']}")
        print(f"conversion peak RSS: {result['peak_rss_mb']} MB (largest worker: {result['worker_peak_rss_mb']} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
