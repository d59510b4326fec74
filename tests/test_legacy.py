"""Logs that laaos 2.1.1 wrote and laaos must load: complex numbers with a non-finite part
(written as repr writes them) and logs in the Windows ANSI code page (cp1252).

The logs are written by the real 2.1.1 (from the package index) in a child process.
"""

import io
import math

import pytest

import laaos
from laaos.cli import main
from helpers import run_original, same

INF, NAN = math.inf, math.nan
# (real, imag) of the complex values below, as text the child can read back with float()
PAIRS = [("inf", "1"), ("1", "inf"), ("nan", "nan"), ("0", "inf"), ("0", "-inf"), ("-inf", "-nan"),
         ("nan", "0"), ("0", "nan"), ("-0.0", "-inf"), ("inf", "-0.0"), ("2.5", "-inf"), ("-inf", "inf")]
VALUES = [complex(float(a), float(b)) for a, b in PAIRS]

WRITE_COMPLEX = f"""
import laaos
values = [complex(float(a), float(b)) for a, b in {PAIRS!r}]
root = laaos.open_file_store('orig', '', prefix='./', truncate=True)
root['values'] = values
root['by_name'] = {{'peak': values[0], 'floor': values[8]}}
root['trace'] = []
for v in values:
    root['trace'].append(v)
root.close()
"""


def test_nonfinite_complex_values_written_by_2_1_1_load_as_written(tmp_path, original_laaos):
    run_original(original_laaos, WRITE_COMPLEX, tmp_path)
    text = (tmp_path / "orig.py").read_text()
    assert "(inf+1j)" in text and "(1+infj)" in text and "(nan+nanj)" in text and "-infj" in text
    result = laaos.load(tmp_path / "orig.py")
    assert same(result.store["values"], VALUES)  # NaN as NaN, and -0.0 told from 0.0
    assert same(result.store["trace"], VALUES)
    assert same(result.store["by_name"], {"peak": VALUES[0], "floor": VALUES[8]})
    assert result.legacy_floats == result.statements - 2  # all but `store = {}` and `= []`


def test_check_calls_a_2_1_1_log_with_nonfinite_complex_ok(tmp_path, original_laaos, capsys):
    run_original(original_laaos, WRITE_COMPLEX, tmp_path)
    code = main(["check", str(tmp_path / "orig.py")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "DAMAGED" not in out and "OLD FORMAT" in out and out.rstrip().endswith("OK")


def test_what_laaos_writes_for_nonfinite_complex_loads_back():
    log = io.StringIO()
    root = laaos.Store(log).root
    root["values"] = VALUES
    root["trace"] = []
    for v in VALUES:
        root["trace"].append(v)
    loaded = laaos.safe_load_str(log.getvalue())
    assert same(loaded, {"values": VALUES, "trace": VALUES})


@pytest.mark.parametrize("text", [
    "infj()", "infj.real", "nanj[0]", "(infj+1j)", "(1j+infj)", "(nan+nan)", "(1+inf)",
    "(inf+infj+1j)", "(1+-infj)", "(inf*1j)", "infJ", "(1+infjj)", "inf(1)", "nan.__class__",
])
def test_the_2_1_1_number_words_are_accepted_only_as_repr_writes_them(text):
    with pytest.raises(laaos.LogError):
        laaos.safe_load_str(f"store = {{}}\nstore['x'] = {text}\n")


def test_a_symbol_named_like_a_2_1_1_number_word_is_the_symbol():
    assert laaos.safe_load_str("store = {'x': infj}\n", extra_mappings={"infj": 3}) == {"x": 3}
    with pytest.raises(laaos.LogError):  # the symbol is no number literal: no arithmetic on it
        laaos.safe_load_str("store = {'x': (1+infj)}\n", extra_mappings={"infj": 3})
