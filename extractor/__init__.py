"""extractor: Exabeam security-content docs trees -> typed tables (Parquet + CSV).

    import extractor
    summary = extractor.convert("samples", "out")
    t = extractor.load("out")
    t.activity_parsers.head()
"""
__version__ = "0.1.0"

from .convert import Summary, convert  # noqa: E402
from .errors import ExtractorError  # noqa: E402
from .load import Tables, duckdb, load  # noqa: E402


# Imported on first use: pandas-heavy modules stay out of `extractor convert`'s start-up.
def history(repo, out, patterns=None, **kw):
    """Convert every matching branch/tag of a git repository into one partitioned dataset."""
    from .releases import history as run
    return run(repo, out, patterns, **kw)


def diff(old, new, out=None):
    """Compare two releases (output folders, docs folders or REPO@REF) on semantic keys."""
    from .compare import diff as run
    return run(old, new, out)


def validate(src, **kw):
    """Consistency findings of a docs tree or output folder (counts against detail, links)."""
    from .consistency import validate as run
    return run(src, **kw)


__all__ = ["convert", "load", "duckdb", "history", "diff", "validate", "Summary", "Tables",
           "ExtractorError", "__version__"]
