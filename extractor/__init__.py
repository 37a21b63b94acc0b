"""extractor: Exabeam security-content docs trees -> typed tables (Parquet + CSV).

    import extractor
    summary = extractor.convert("samples", "out")
    t = extractor.load("out")
    t.activity_parsers.head()
"""
__version__ = "0.1.0"

from .convert import Summary, convert  # noqa: E402
from .errors import ExtractorError  # noqa: E402
from .load import Tables, load  # noqa: E402

__all__ = ["convert", "load", "Summary", "Tables", "ExtractorError", "__version__"]
