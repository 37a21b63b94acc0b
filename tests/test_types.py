"""The annotations are part of the documentation: they must say what the code does.

mypy over the whole package, as `pyproject.toml` configures it. (Such a check found functions
annotated to return nothing that returned a label, and a reader said to return a list that
returned an object.)
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def test_the_package_type_checks(tmp_path):
    pytest.importorskip("mypy", reason="mypy is a test dependency: pip install '.[test]'")
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "extractor"],
                         cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues found" in run.stdout
