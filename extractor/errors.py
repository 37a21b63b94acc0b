"""Errors the library raises for things the user can fix. The CLI prints the message (one
line, no traceback) and exits 2; library users catch ExtractorError."""


class ExtractorError(Exception):
    """extractor failed"""

    def __str__(self) -> str:
        return self.args[0] if self.args else (self.__doc__ or "").strip()


class SourceNotFound(ExtractorError):
    """the docs tree does not exist or is not a folder"""


class OutputNotWritable(ExtractorError):
    """the output folder cannot be written"""


class NotAnOutput(ExtractorError):
    """the folder holds no extractor output (no manifest.json)"""
