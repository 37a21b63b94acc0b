"""The command line: parses arguments, calls one library function, prints."""
from __future__ import annotations

import json
import os
import signal
import sys

import click

from . import __version__
from .convert import convert as convert_tree
from .errors import ExtractorError
from .extract import DEFAULT_MAX_PAGE_BYTES


class Failure(click.ClickException):
    """A usage or input error: one line on stderr, exit 2."""

    exit_code = 2


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C so temporary output is cleaned up."""


def _on_sigterm(signum, frame):
    raise _Terminated()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="extractor")
def cli():
    """Turn Exabeam security-content docs trees (Markdown) into typed tables."""


@cli.command()
@click.argument("src", default="samples", type=click.Path(file_okay=False))
@click.option("-o", "--out", default="out", show_default=True, type=click.Path(), help="Output folder.")
@click.option("--git", "git_repo", type=click.Path(file_okay=False),
              help="Read the tree from this git repository (with --ref) instead of a folder.")
@click.option("--ref", help="Branch, tag or commit to read with --git (default HEAD). SRC may also be REPO@REF.")
@click.option("--release", help="Label for every row (default: SRC's folder name, or the ref).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), help="Worker processes (default: one per core).")
@click.option("--tables", "table_names", metavar="NAMES",
              help="Only these tables, comma-separated (`core`: the five data-source tables); faster.")
@click.option("--max-page-bytes", type=click.IntRange(1), default=DEFAULT_MAX_PAGE_BYTES, show_default=True,
              help="Pages larger than this are reported, not parsed.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when any issue was found.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def convert(src, out, git_repo, ref, release, jobs, table_names, max_page_bytes, quiet, as_json, strict, debug):
    """Convert the docs tree SRC (default: samples/) into Parquet + CSV tables in OUT."""
    if git_repo:
        src, ref = git_repo, ref or "HEAD"
    elif ref:
        raise Failure("--ref goes with --git REPO (or write SRC as REPO@REF)")
    show_bar = not quiet and not as_json and sys.stderr.isatty()
    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="pages", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        only = [n.strip() for n in table_names.split(",") if n.strip()] if table_names else None
        summary = _run(lambda: convert_tree(src, out, release, ref=ref, jobs=jobs, tables=only,
                                            max_page_bytes=max_page_bytes,
                                            progress=progress if show_bar else None), debug, out)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2, sort_keys=True))
    else:
        _print_summary(summary)
        if only is not None:  # (--strict then judges only what was read)
            click.echo("(with --tables, pages that fill none of those tables were listed, not read: "
                       "their issues are not looked for)")
    if strict and summary.issue_count:
        sys.exit(1)


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(), help="Output dataset folder.")
@click.option("--refs", "patterns", multiple=True, help="Glob of branches/tags to convert (repeatable; default all).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), help="Worker processes (default: one per core).")
@click.option("--max-page-bytes", type=click.IntRange(1), default=DEFAULT_MAX_PAGE_BYTES, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def history(repo, out, patterns, jobs, max_page_bytes, quiet, as_json, debug):
    """Convert every release (branch or tag) of the git repository REPO into one
    hive-partitioned dataset OUT/<table>/release=<ref>/."""
    from .releases import history as run_history

    bars: dict = {}

    def progress(label, done, total):
        bar = bars.get(label)
        if bar is None:
            bar = bars[label] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    show = not quiet and not as_json and sys.stderr.isatty()
    summary = _run(lambda: run_history(repo, out, list(patterns) or None, jobs=jobs,
                                       max_page_bytes=max_page_bytes,
                                       progress=progress if show else None), debug, out)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2, sort_keys=True))
        return
    for ref, info in summary.releases.items():
        if info.get("skipped"):
            click.echo(f"{ref}: unchanged ({info['commit'][:12]})")
        else:
            rows = info["rows"]
            click.echo(f"{ref}: {rows['activity_parsers']} activity_parsers, {rows['rules']} rules, "
                       f"{sum(info['issues'].values())} issues ({info['commit'][:12]})")
    if summary.passed_over:
        click.echo(f"passed over {len(summary.passed_over)} ref(s) that are no release: {', '.join(summary.passed_over)}")
    if summary.removed:
        click.echo(f"removed {len(summary.removed)} release(s) written by other code (another version of the "
                   f"tool, or a run cut short) and not asked for this time: {', '.join(summary.removed)}")
    click.echo(f"parsed {summary.parsed_blobs} blobs, {summary.cached_blobs} from cache; written to {summary.out}")


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option("-o", "--out", default="diff", show_default=True, type=click.Path(), help="Output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary's numbers as JSON.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def diff(old, new, out, as_json, debug):
    """What coverage appeared or vanished from OLD to NEW (each an output folder of convert,
    a docs folder, or REPO@REF)."""
    from .compare import diff as run_diff

    result = _run(lambda: run_diff(old, new, out), debug)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
        return
    click.echo(f"{result.old} -> {result.new}")
    for name, c in result.counts.items():
        click.echo(f"  {name:<22} +{c['added']:<7} -{c['removed']:<7} ~{c['changed']}")
    click.echo(f"written to {os.path.abspath(out)} (summary.md for a readable report)")


def _filters(vendor, product, use_case, release):
    from .navigator import Filters
    return Filters(vendor, product, use_case, release)


_filter_options = [
    click.option("--vendor", help="Only this vendor."),
    click.option("--product", help="Only this product."),
    click.option("--use-case", "use_case", help="Only this use case."),
    click.option("--release", help="Only this release (for a history dataset)."),
]


def _with_filters(fn):
    for option in reversed(_filter_options):
        fn = option(fn)
    return fn


@cli.command()
@click.argument("out", required=False)
@click.option("-o", "--output", "path", default="layer.json", show_default=True, type=click.Path(dir_okay=False),
              help="Layer file to write.")
@click.option("--diff", "pair", nargs=2, metavar="OLD NEW", help="Colour techniques added/removed from OLD to NEW.")
@_with_filters
@click.option("--json", "as_json", is_flag=True, help="Print the layer's numbers as JSON.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def layer(out, path, pair, vendor, product, use_case, release, as_json, debug):
    """Write an ATT&CK Navigator layer (format 4.5) of the coverage in OUT (default: out/)."""
    from . import navigator

    filters = _filters(vendor, product, use_case, release)
    if pair and out:
        raise Failure("give OUT or --diff OLD NEW, not both")

    def make():
        made = navigator.diff_layer(*pair, filters) if pair else navigator.layer(out or "out", filters)
        navigator.write(made, path)
        return made

    made = _run(make, debug)
    counts = {"file": os.path.abspath(path), "techniques": len(made["techniques"]),
              "max_score": made["gradient"]["maxValue"]}
    if pair:
        for item in made["techniques"]:
            change = item["comment"].split(" ", 1)[0]
            counts[change] = counts.get(change, 0) + 1
    if as_json:
        click.echo(json.dumps(counts, indent=2, sort_keys=True))
    else:
        click.echo(f"{counts['techniques']} technique entries written to {counts['file']}")


@cli.command()
@click.argument("out", default="out")
@click.option("-o", "--output", "path", default="coverage.png", show_default=True, type=click.Path(dir_okay=False),
              help="PNG file to write.")
@_with_filters
@click.option("--json", "as_json", is_flag=True, help="Print the plotted numbers as JSON.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def plot(out, path, vendor, product, use_case, release, as_json, debug):
    """Draw a heatmap of techniques per tactic and use case of OUT into a PNG."""
    from . import plot as plotting

    data = _run(lambda: plotting.heatmap(out, path, _filters(vendor, product, use_case, release)), debug)
    if as_json:
        click.echo(json.dumps({"file": os.path.abspath(path),
                               "cells": {uc: {k: int(v) for k, v in row.items() if v}
                                         for uc, row in data.iterrows()}}, indent=2, sort_keys=True))
    else:
        click.echo(f"{len(data.index)} use cases x {len(data.columns)} tactics drawn into {os.path.abspath(path)}")


@cli.command()
@click.argument("src", default="out")
@click.option("-o", "--out", type=click.Path(), help="Also write the checks table (Parquet + CSV) here.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings' numbers as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when there are findings.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def validate(src, out, as_json, strict, debug):
    """Check the docs against themselves: counts tables against their detail, use-case pages
    against data-source pages, links against the pages that exist. SRC is an output folder
    (default out/), a docs folder or REPO@REF."""
    from .consistency import CHECKS, validate as run_validate

    result = _run(lambda: run_validate(src, out), debug)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        click.echo(f"release {result.release}: {len(result.checks)} findings")
        if result.skipped:
            click.echo(f"  not run (their tables were not converted): {', '.join(result.skipped)}")
        for check, n in result.counts.items():
            click.echo(f"  {check:<24} {n:>6}  {CHECKS[check]}")
        for row in result.checks.head(10).itertuples(index=False):
            where = f"{row.source_path}:{row.source_line}" if row.source_path else f"{row.vendor} / {row.product}"
            click.echo(f"  - {where}: {row.message}")
        if len(result.checks) > 10:
            click.echo(f"  ... {len(result.checks) - 10} more" + (f" in {out}" if out else " (use -o to write them all)"))
    if strict and len(result.checks):
        sys.exit(1)


def _run(call, debug, out=None):
    """Call the library; usage errors become one line and exit 2, signals exit 130. `out`:
    where the call writes, to say after an interrupt whether it was replaced."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    before = _identity(out)
    try:
        return call()
    except ExtractorError as exc:
        if debug:
            raise
        raise Failure(str(exc)) from None
    except (KeyboardInterrupt, _Terminated):
        # An interrupt can land after the output was swapped in whole, as the call returns.
        if out is not None and _identity(out) not in (before, None):
            click.echo(f"interrupted; {out} was already written whole, with the new output", err=True)
        else:
            click.echo("interrupted; the previous output is unchanged", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: one line, the traceback only with --debug
        if debug:
            raise
        click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(1)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _identity(path) -> tuple | None:
    """What tells a folder or file from the one that replaces it (inode and change time), or
    None when there is nothing there."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_ctime_ns)


def _print_summary(summary) -> None:
    pages = ", ".join(f"{n} {kind}" for kind, n in summary.pages.items())
    click.echo(f"release {summary.release}: {sum(summary.pages.values())} pages ({pages})")
    for name, n in summary.rows.items():
        click.echo(f"  {name:<22} {n:>8} rows")
    if summary.issues:
        codes = ", ".join(f"{code} {n}" for code, n in summary.issues.items())
        click.echo(f"issues: {summary.issue_count} ({codes})")
    else:
        click.echo("issues: none")
    click.echo(f"written to {summary.out}")


def main():
    cli(prog_name="extractor")
