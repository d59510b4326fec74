"""Logs whose first statement laaos 2.1.1 wrote through ``pprint``, and adjacent string
literals in general.

2.1.1 writes its initial data as ``store = (\\n<pprint.pformat(data, width=160)>\\n)``.
For a dict (the usual initial data) pprint falls back to the repr of 2.1.1's own
container, one line; but when a type handler wraps the initial data as a plain dict (a
config object read through ``vars``), pprint lays it out: keys sorted, long lists and sets
over several lines, and long str and bytes values cut into adjacent literals, one a line,
which Python joins.  Statements after the first are written by repr and are never cut.

The logs are written by the real 2.1.1 (from the package index) in a child process, which
also reads each back with 2.1.1's own loader (``exec``): the value laaos must give.
"""

import ast
import time

import pytest

import laaos
from laaos.cli import main
from helpers import run_original

# The initial data: every shape pprint cuts or spreads over lines.
DATA = """{
    'text': 'word ' * 100,
    'lines': 'first line\\nsecond\\n' * 20,
    'quotes': 'it\\'s "quoted" ' * 20,
    'escapes': 'tab\\there\\\\back \\u00e9 \\u4e2d \\U0001f600 \\x00\\x7f ' * 10,
    'blob': bytes(range(256)) * 3,
    'nested': {'inner': ['x' * 200, 'short ' * 40], 'deeper': {'note': 'y ' * 100}},
    'steps': list(range(150)),
    'losses': [0.1 * i for i in range(60)],
    'pairs': tuple(range(70)),
    'tags': set(range(70)),
    'empty': set(),
    'mixed': [('a ' * 60, b'b' * 100), {'k': 'v ' * 90}],
}"""

WRITE = """
import argparse, sys
import laaos

class AsDict(laaos.TypeHandler):
    def supports(self, obj):
        return isinstance(obj, argparse.Namespace)

    def wrap(self, obj, wrap):
        return vars(obj)

config = argparse.Namespace(**%s)
root = laaos.open_file_store('orig', '', prefix='./', truncate=True, initial_data=config,
                             type_handlers=[AsDict()])
root['after'] = 'word ' * 100
root['quote'] = 'it\\'s "x"\\n\\u00e9'
root['log'] = []
root['log'].append({'note': 'z ' * 100, 'raw': 'a\\tb'})
if 'empty' in root:
    del root['empty']
root.close()
print(repr(laaos.safe_load('orig.py')))
"""


def write_with_2_1_1(original_laaos, tmp_path, data=DATA):
    """The log 2.1.1 writes for ``data`` (Python source of a dict), and the value 2.1.1's
    own loader reads from it."""
    out = run_original(original_laaos, WRITE % data, tmp_path)
    return tmp_path / "orig.py", ast.literal_eval(out)


def test_a_2_1_1_log_with_pprint_cut_initial_data_loads_as_2_1_1_reads_it(tmp_path, original_laaos):
    path, expected = write_with_2_1_1(original_laaos, tmp_path)
    text = path.read_text()
    assert "'word word" in text and "\n         'word word" in text  # a str cut over lines
    assert "\n         b'" in text  # and a bytes value
    loaded = laaos.safe_load(path)
    assert loaded == expected
    assert list(loaded) == list(expected)  # pprint's sorted keys, then the later ones
    assert loaded["blob"] == bytes(range(256)) * 3 and loaded["text"] == "word " * 100
    assert laaos.safe_load(path, keys=["escapes", "after"]) == {k: expected[k] for k in ("escapes", "after")}


def test_check_calls_a_2_1_1_log_with_pprint_cut_initial_data_ok(tmp_path, original_laaos, capsys):
    path, _ = write_with_2_1_1(original_laaos, tmp_path)
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "DAMAGED" not in out and out.rstrip().endswith("OK")


def test_a_long_value_cut_by_pprint_loads_in_linear_time(tmp_path, original_laaos):
    # ~2 MB of str and of bytes, cut into ~26,000 literals of 160 characters, against a
    # quarter of that: joined piece by piece (each join a copy of the value so far), four
    # times the pieces would cost sixteen times the copying (~9x the time measured here).
    def best_load_time(size):
        folder = tmp_path / str(size)
        folder.mkdir()
        data = f"{{'text': 'word ' * {size // 5}, 'blob': b'xy' * {size // 2}}}"
        path, expected = write_with_2_1_1(original_laaos, folder, data)
        assert laaos.safe_load(path) == expected
        times = []
        for _ in range(3):
            start = time.perf_counter()
            laaos.safe_load(path)
            times.append(time.perf_counter() - start)
        return min(times), path.read_text().count("\n")

    small, small_lines = best_load_time(500_000)
    large, large_lines = best_load_time(2_000_000)
    assert large_lines > 25_000 and 3.9 < large_lines / small_lines < 4.1
    assert large < 3 and large / small < 6, (small, large)  # linear: ~3.5


# ---- adjacent literals: as Python's grammar allows them, joined as Python joins them ----------

ADJACENT = [
    "'a' 'b'", "'a''b'", "('a'\n 'b')", "'a' \"b\" 'c'", "b'x' b'\\xff'", "u'a' 'b'", "'\\u00e9' '\\u4e2d'",
    "['a' 'b', 'c']", "{'k' 'ey': 'v'\n       'al'}", "('a'\n 'b',)", "{'a' 'b'}", "b'' b''", "'' ''",
]


@pytest.mark.parametrize("literal", ADJACENT)
def test_adjacent_string_literals_join_as_python_joins_them(literal, backend):
    expected = ast.literal_eval(literal)
    log = f"store = {{'l': []}}\nstore['v'] = {literal}\nstore['l'].append({literal})\n"
    assert laaos.safe_load_str(log) == {"l": [expected], "v": expected}
    if isinstance(expected, (str, bytes)):
        assert laaos.safe_load_str(f"store = {{}}\nstore[{literal}] = 1\n") == {expected: 1}


@pytest.mark.parametrize("literal", ["'a' b'b'", "b'a' 'b'", "('a'\n b'b')", "'a' 'b' b'c'"])
def test_adjacent_str_and_bytes_are_refused_as_python_refuses_them(literal, backend):
    with pytest.raises(SyntaxError):
        ast.literal_eval(literal)
    log = f"store = {{}}\nstore['v'] = {literal}\nstore['after'] = 1\n"
    with pytest.raises(laaos.LogSyntaxError, match=r"^<string>:2: cannot mix bytes and nonbytes literals"):
        laaos.safe_load_str(log)
    assert laaos.safe_load_str(log, skip_errors=True) == {"after": 1}  # the rest of the log loads


@pytest.mark.parametrize("text", ["'a' 'b'.join([])", "'a' 'b'[0]", "'a' 'b' + 'c'", "'a' 'b' * 2",
                                  "'a' 'b'()", "'a' 'b'.__class__", "'a' 'b' 'c' % 1"])
def test_adjacent_literals_open_no_way_to_run_code(text, backend):
    with pytest.raises(laaos.LogError, match=r"^<string>:2: "):
        laaos.safe_load_str(f"store = {{}}\nstore['v'] = {text}\n")


# ---- initial data given as (key, value) pairs -----------------------------------------------
# 2.1.1 keeps `dict.update(pairs)` in memory but writes the pairs themselves (its own
# list's repr on one line, or pprint's layout when a type handler hands it a plain list),
# and addresses that dict in every later statement.

WRITE_PAIRS = """
import laaos

class Pairs:
    def __init__(self, pairs):
        self.pairs = pairs

class AsPlainList(laaos.TypeHandler):
    def supports(self, obj):
        return isinstance(obj, Pairs)

    def wrap(self, obj, wrap):
        return list(obj.pairs)

for name, data in [('listed', [['a', 1], ('b', [2])]),
                   ('laid_out', Pairs([('text', 'word ' * 60), ('steps', list(range(80))), ('b', [2]),
                                       ['blob', b'xy' * 100]]))]:
    root = laaos.open_file_store(name, '', prefix='./', truncate=True, initial_data=data,
                                 type_handlers=[AsPlainList()])
    root['c'] = 3
    if name == 'listed':
        root['b'].append(4)  # (pprint's plain lists are not wrapped: an append there writes nothing)
    print(repr(root))
    root.close()
"""


@pytest.fixture
def pairs_logs(tmp_path, original_laaos):
    """The logs 2.1.1 writes for initial data given as pairs, and the dict each one held."""
    held = [ast.literal_eval(line) for line in run_original(original_laaos, WRITE_PAIRS, tmp_path).splitlines()]
    return [(tmp_path / "listed.py", held[0]), (tmp_path / "laid_out.py", held[1])]


def test_a_2_1_1_log_with_initial_data_as_pairs_loads_as_the_dict_2_1_1_held(pairs_logs, backend):
    (listed, listed_held), (laid_out, laid_out_held) = pairs_logs
    assert listed.read_text().startswith("store = (\n[['a', 1], ['b', [2]]]\n)\n")
    assert listed_held == {"a": 1, "b": [2, 4], "c": 3}
    text = laid_out.read_text()
    assert text.startswith("store = (\n[('text',\n  'word word") and "\n  b'xyxy" in text  # cut by pprint
    assert laid_out_held["text"] == "word " * 60 and laid_out_held["blob"] == b"xy" * 100
    for path, held in pairs_logs:
        assert laaos.safe_load(path) == held
        assert list(laaos.safe_load(path)) == list(held)  # the pairs' order, then the later keys
        assert laaos.safe_load(path, keys=["b", "c"]) == {"b": held["b"], "c": 3}
    assert laaos.load(listed).statements == 3


def test_check_calls_a_2_1_1_log_with_initial_data_as_pairs_ok(pairs_logs, capsys):
    for path, _ in pairs_logs:
        code = main(["check", str(path)])
        out = capsys.readouterr().out
        assert code == 0 and "DAMAGED" not in out and out.rstrip().endswith("OK"), out


@pytest.mark.parametrize("first, why", [
    ("[1, 2]", "the store must be a dict or a list of (key, value) pairs; item 0 is 1, not a pair"),
    ("[['a', 1], ['b', 2, 3]]", "the store must be a dict or a list of (key, value) pairs; item 1 is ['b', 2, 3], not a pair"),
    ("(('a', 1), 'ab')", "the store must be a dict or a tuple of (key, value) pairs; item 1 is 'ab', not a pair"),
    ("[[['k'], 1]]", "the store's pair 0 has an unhashable key, a list"),
    ("'text'", "the store must be a dict, not str"),
    ("{1, 2}", "the store must be a dict, not set"),
])
def test_a_first_statement_that_is_no_dict_nor_pairs_is_refused_with_its_file_and_line(tmp_path, backend, first, why):
    path = tmp_path / "log.py"
    path.write_text(f"# a comment\nstore = (\n{first}\n)\nstore['c'] = 3\n")
    with pytest.raises(laaos.LogSyntaxError) as e:
        laaos.safe_load(path)
    assert str(e.value) == f"{path}:2: {why}"


def test_pairs_with_keys_of_one_chosen_hash_are_refused_as_a_dict_of_them_is(tmp_path, backend):
    keys = [i * (2**61 - 1) for i in range(1, 40)]  # one hash
    as_pairs, as_dict = tmp_path / "pairs.py", tmp_path / "dict.py"
    as_pairs.write_text(f"store = {[(k, 0) for k in keys]!r}\n")
    as_dict.write_text(f"store = {dict.fromkeys(keys, 0)!r}\n")
    for path in (as_pairs, as_dict):
        with pytest.raises(laaos.LogLimitError, match=f"^{path}:1: more than 8 keys of one dict share one hash"):
            laaos.load(path, max_equal_hashes=8)
        assert laaos.load(path, max_equal_hashes=40).store == dict.fromkeys(keys, 0)
