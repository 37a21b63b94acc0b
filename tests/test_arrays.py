"""arrays.py lays out Arrow arrays from their buffers: they must be the arrays pa.array makes
(pa.array is the independent reference here), and a whole conversion must then not import
pandas in the main process."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from extractor import arrays, schema

_TEXT = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, max_size=40))
def test_strings_are_what_pa_array_makes(values):
    got = arrays.strings(values)
    got.validate(full=True)
    assert got.equals(pa.array(values, pa.string()))
    assert got.null_count == sum(v is None for v in values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2**31, 2**31 - 1)), max_size=40),
       st.sampled_from([pa.int32(), pa.int64()]))
def test_integers_are_what_pa_array_makes(values, type_):
    got = arrays.integers(values, type_)
    got.validate(full=True)
    assert got.equals(pa.array(values, type_))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), st.integers(0, 50))
def test_repeated_is_the_value_n_times(value, n):
    got = arrays.repeated(value, n)
    got.validate(full=True)
    assert got.equals(pa.array([value] * n, pa.string()))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_TEXT.filter(lambda v: v is not None), max_size=4)), max_size=20))
def test_lists_of_strings_are_what_pa_array_makes(values):
    type_ = pa.list_(pa.string())
    got = arrays.string_lists(values, type_)
    got.validate(full=True)
    assert got.equals(pa.array(values, type_))


def test_every_column_of_every_table_is_what_pa_array_makes(monkeypatch):
    # One row of values (and one of nulls) per table, through column() on both of its paths.
    samples = {pa.string(): ["é↳ x", None], pa.int32(): [7, None], pa.int64(): [2**40, None],
               pa.list_(pa.string()): [["user", "src_ip"], None]}
    calls = []
    monkeypatch.setattr(arrays, "strings", lambda values, real=arrays.strings: calls.append(1) or real(values))
    for free in (False, True):  # from buffers; by pa.array
        monkeypatch.setattr(arrays, "converts_freely", lambda free=free: free)
        for name in schema.TABLES:
            for field in schema.schema(name):
                got = arrays.column(samples[field.type], field.type)
                assert got.equals(pa.array(samples[field.type], field.type)), (name, field)
        assert bool(calls) is not free  # (the buffers were used, or not)
        calls.clear()


def test_pa_array_is_used_where_it_costs_no_pandas_import(monkeypatch):
    import types

    monkeypatch.setattr(arrays, "sys", types.SimpleNamespace(modules={}))  # pandas not loaded
    monkeypatch.setitem(arrays._state, "refused", False)
    monkeypatch.setitem(arrays._state, "laid_out", 0)
    assert not arrays.converts_freely()
    arrays.column(["a", None, "b"], pa.string())
    assert arrays._state["laid_out"] == 3
    monkeypatch.setitem(arrays._state, "laid_out", arrays._BUDGET + 1)  # the budget spent
    assert arrays.converts_freely()
    monkeypatch.setitem(arrays._state, "laid_out", 0)
    monkeypatch.setitem(arrays._state, "refused", True)  # a worker
    assert arrays.converts_freely()
    monkeypatch.setattr(arrays, "sys", types.SimpleNamespace(modules={"pandas": object()}))
    monkeypatch.setitem(arrays._state, "refused", False)
    assert arrays.converts_freely()


def test_a_lone_surrogate_is_refused_as_pa_array_refuses_it():
    with pytest.raises(UnicodeEncodeError):
        pa.array(["a\udcff"], pa.string())
    with pytest.raises(UnicodeEncodeError):
        arrays.strings(["a\udcff"])


def test_scalars_and_empty_tables_match_pyarrows_own():
    for text in ("null", "", ", ", None):
        assert arrays.string_scalar(text).equals(pa.scalar(text, pa.string()))
    assert arrays.bool_scalar(False).equals(pa.scalar(False))
    assert arrays.bool_scalar(True).equals(pa.scalar(True))
    for name in schema.TABLES:
        sch = schema.schema(name)
        assert arrays.empty_table(sch).equals(sch.empty_table())


def test_a_conversion_does_not_import_pandas_in_the_main_process(tmp_path):
    """In a fresh interpreter (this test run has pandas loaded): a tree big enough for the
    worker processes (over 200 pages), made of copies of the bundled samples."""
    project = Path(__file__).resolve().parents[1]
    tree = tmp_path / "tree"
    for i in range(30):
        shutil.copytree(project / "samples", tree / f"copy{i:02d}")
    code = (
        "import sys, extractor\n"
        "summary = extractor.convert(sys.argv[1], sys.argv[2], jobs=2)\n"
        "print(sum(summary.pages.values()), 'pandas' in sys.modules)\n"
        # a small tree is read in this process itself: neither
        "summary = extractor.convert(sys.argv[3], sys.argv[2] + '-small', jobs=1)\n"
        "print(sum(summary.pages.values()), 'pandas' in sys.modules)\n"
        "print(len(extractor.load(sys.argv[2])['pages']), 'pandas' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(tree), str(tmp_path / "out"), str(project / "samples")],
                         cwd=project, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["240", "False", "8", "False", "240", "True"]
