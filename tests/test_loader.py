"""The safe loader: the original's logs, torn tails, corruption, hostile input."""

import ast
import enum
import io
import math
import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import laaos
from helpers import DATA, sized

CORPUS = sorted(p.stem for p in (DATA / "laaos-2.1.1").glob("*.py"))


class Color(enum.Enum):
    RED = 1
    GREEN = 2


def expected_of(name):
    text = (DATA / "laaos-2.1.1" / f"{name}.expected").read_text()
    if name == "weak_enum":
        return laaos.safe_load_str("store = " + text, exposed_symbols=[Color])
    if name in ("nonfinite", "complex_nonfinite"):
        return laaos.safe_load_str("store = " + text)
    return ast.literal_eval(text)


@pytest.mark.parametrize("name", CORPUS)
def test_every_log_of_the_original_loads_to_its_value(name):
    symbols = [Color] if name == "weak_enum" else None
    loaded = laaos.safe_load(DATA / "laaos-2.1.1" / f"{name}.py", exposed_symbols=symbols)
    assert loaded == expected_of(name) or repr(loaded) == repr(expected_of(name))  # NaN != NaN


def test_bare_nan_and_inf_of_the_original_load_as_floats_and_are_counted():
    result = laaos.load(DATA / "laaos-2.1.1" / "nonfinite.py")
    losses = result.store["losses"]
    assert math.isnan(losses[1]) and losses[2] == math.inf and losses[3] == -math.inf
    assert result.legacy_floats == 6  # the statements that use a bare nan or inf
    assert laaos.load(DATA / "laaos-2.1.1" / "losses.py").legacy_floats == 0


def test_bare_nan_is_only_a_float_in_value_position_and_a_symbol_wins():
    with pytest.raises(laaos.LogError):
        laaos.safe_load_str("store = {}\nnan['x']=1\n")
    with pytest.raises(laaos.LogError):
        laaos.safe_load_str("store = {}\nstore['x']=nan.real\n")  # the float has no symbol's attributes
    assert laaos.safe_load_str("store = {}\nstore['x']=nan\n", extra_mappings={"nan": 7}) == {"x": 7}
    assert laaos.safe_load_str("store = {}\nstore[inf]=[-inf]\n") == {math.inf: [-math.inf]}


def test_load_reports_what_it_read():
    result = laaos.load(DATA / "laaos-2.1.1" / "losses.py")
    assert result.statements == 51 and result.lines == 51
    assert result.dropped_bytes == 0 and not result.torn
    assert result.valid_bytes == result.size == os.path.getsize(DATA / "laaos-2.1.1" / "losses.py")


LOG = (
    "store = (\n{'cfg': {'name': 'ünï', 'emoji': '😀'}, 'l': []}\n)\n"
    "store['l'].append(1.5)\n"
    "store['l'].append('中文')\n"
    "store['cfg']['lr']=0.1\n"
    "store['l'].extend([1, 2, 3])\n"
)


def _states(log_text):
    """The store after each complete statement, by byte offset where it ends."""
    data = log_text.encode()
    ends = []
    for i, b in enumerate(data):
        if b == ord("\n"):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", laaos.TornTailWarning)
                    ends.append((i + 1, laaos.safe_load_str(data[: i + 1].decode())))
            except laaos.LogError:
                pass  # inside the multi-line first statement
    return data, ends


def test_a_cut_at_every_byte_offset_loads_the_state_before_the_cut(tmp_path):
    data, ends = _states(LOG)
    path = tmp_path / "cut.py"
    for cut in range(len(data) + 1):
        path.write_bytes(data[:cut])
        complete = [state for end, state in ends if end <= cut]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if not complete:
                with pytest.raises(laaos.LogError):
                    laaos.load(path)
                continue
            result = laaos.load(path)
        assert result.store == complete[-1], cut
        last_end = max(end for end, _ in ends if end <= cut)
        assert result.valid_bytes == last_end
        assert result.dropped_bytes == cut - last_end
        assert result.torn == (cut != last_end)
        assert any(issubclass(w.category, laaos.TornTailWarning) for w in caught) == result.torn


def test_nul_padded_tail_is_dropped(tmp_path):
    path = tmp_path / "nul.py"
    path.write_bytes(b"store = {}\nstore['a']=1\nstore['b']=\x00\x00\x00\x00")
    with pytest.warns(laaos.TornTailWarning):
        result = laaos.load(path)
    assert result.store == {"a": 1} and result.dropped_statements == 1
    path.write_bytes(b"store = {}\nstore['a']=1\n" + b"\x00" * 4096)
    with pytest.warns(laaos.TornTailWarning):
        assert laaos.safe_load(path) == {"a": 1}


def test_a_bad_statement_followed_by_good_ones_is_corruption(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("store = {}\nstore['a']=1\nstore['b'].app\nstore['c']=3\n")
    with pytest.raises(laaos.LogError) as info:
        laaos.safe_load(path)
    assert info.value.line == 3 and str(path) in str(info.value)
    result = laaos.load(path, skip_errors=True)
    assert result.store == {"a": 1, "c": 3}
    assert [line for line, _ in result.skipped] == [3]


def test_a_torn_statement_continued_by_a_later_writer_is_corruption(tmp_path):
    path = tmp_path / "resumed.py"
    path.write_text("store = {}\nstore['a']=[1\nstore['a']=[2]\n")
    with pytest.raises(laaos.CorruptLogError, match=r":2: incomplete statement"):
        laaos.safe_load(path)
    assert laaos.load(path, skip_errors=True).store == {"a": [2]}


def test_crlf_and_byte_order_mark_are_accepted(tmp_path):
    path = tmp_path / "win.py"
    path.write_bytes(b"\xef\xbb\xbfstore = {}\r\nstore['a']=[1]\r\nstore['a'].append(2)\r\n")
    assert laaos.safe_load(path) == {"a": [1, 2]}


def test_comments_and_blank_lines(tmp_path):
    text = "# a comment\n\nstore = {}  # trailing\n   \nstore['a']=1 # x\n"
    assert laaos.safe_load_str(text) == {"a": 1}


def test_symbols_attributes_and_calls():
    import datetime

    text = (
        "store = {}\n"
        "store['c']=Color.RED\n"
        "store['t']=datetime.datetime(2020, 1, 2, hour=3)\n"
        "store['m']=M.x\n"
    )
    class M:
        x = 5

    got = laaos.safe_load_str(text, exposed_symbols=[Color], extra_mappings={"datetime": datetime, "M": M})
    assert got == {"c": Color.RED, "t": datetime.datetime(2020, 1, 2, 3), "m": 5}


def test_error_names_file_line_and_construct(tmp_path):
    path = tmp_path / "evil.py"
    path.write_text("store = {}\nstore['a']=1\nstore['x']=__import__('os').system('echo hi')\n")
    with pytest.raises(laaos.UnsafeLogError) as info:
        laaos.safe_load(path)
    err = info.value
    assert err.path == str(path) and err.line == 3
    assert f"{path}:3:" in str(err) and "__import__" in str(err)


MARKER = "laaos-hostile-marker"

HOSTILE = [
    "store['x']=().__class__.__bases__[0].__subclasses__()",
    "store['x']=[].__class__",
    "store['x']=Color.__class__",
    "store['x']=Color.RED.__init__.__globals__",
    "store['x']=Color._member_map_",
    "store['x']=open('/etc/passwd').read()",
    f"store['x']=exec(\"open('{MARKER}', 'w')\")",
    f"store['x']=eval(\"open('{MARKER}', 'w')\")",
    "store['x']=__import__('os')",
    "store['x']=__builtins__",
    "store['x']=globals()",
    "store['x']=getattr(Color, 'RED')",
    "store['x']=[x for x in range(3)]",
    "store['x']={x: 1 for x in 'ab'}",
    "store['x']=(x for x in 'ab')",
    "store['x']=lambda: 0",
    "import os",
    "from os import system",
    "store['x']=f'{Color}'",
    "store['x']=F'{1}'",
    "store['x']=1 + 1",
    "store['x']=2 ** 100000",
    "store['x']='a' * 10",
    "store['x']=~1",
    "store['x']=not 1",
    "store['x']=1 if 1 else 2",
    "store['x']=(y := 1)",
    "store['x']=set.__init__",
    "store['x']=set('abc').pop()",
    "store['x']=float('1e5')",
    "store['x']=float.fromhex('0x1p1')",
    "store['x']=type('A', (), {})",
    "store['x']=store",
    "store.__class__ = 1",
    "store['x'].__setitem__(1, 2)",
    "store['x'].pop()",
    "store['x']=1; import os",
    "def f(): pass",
    "class A: pass",
    "store['x']=b'\\x00' + b''",
    "store['x']=Color.RED.value.__class__",
    "store['x']='a' b'b'",
    "store['x']='a' 'b'.upper()",
    "store['x']=r'\\n'",
    "store['x']=*[1]",
    "store['x']=[1][0]",
    "store['x']=Color['RED']",
    "store['x']=+1",
    "store['x']=1 - 1",
    "store['x']=0x10",
    "store['x']=-Color.RED",
    "store['x']=[" * 200 + "]" * 200,
    "store['x']=" + "-" * 1000 + "1",
    "store['x']=" + "(" * 100000 + ")" * 100000,
    "store['x']=" + "9" * 5000,
    "store['x']=" + "1" * 5000 + ".5",
]


@pytest.mark.parametrize("line", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_logs_are_refused_and_run_nothing(line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "hostile.py"
    path.write_text(f"store = {{'x': [1]}}\n{line}\nstore['after']=1\n")
    with pytest.raises(laaos.LogError) as info:
        laaos.safe_load(path, exposed_symbols=[Color])
    assert info.value.line == 2, str(info.value)
    assert str(path) in str(info.value)
    assert not (tmp_path / MARKER).exists()


def test_a_huge_line_is_refused_with_a_clear_error():
    huge = "store = {}\nstore['x']=[" + "1, " * 2_000_000 + "]\n"
    with pytest.raises(laaos.LogLimitError, match="max_statement_bytes"):
        parser = laaos.loader.new_parser("<huge>", max_statement_bytes=1 << 20)
        parser.feed(huge.encode())


def test_statement_before_store_and_missing_store():
    with pytest.raises(laaos.CorruptLogError, match="before"):
        laaos.safe_load_str("store['a']=1\n")
    with pytest.raises(laaos.LogError, match="no complete"):
        laaos.safe_load_str("# nothing\n")


def test_operations_that_do_not_apply_are_corruption():
    bad_lines = ("del store['missing']", "store['l'][5]=1", "store['d'].append(1)",
                 "store['l'][0].add(1)", "store['s']['x']=1", "store['s']['x'].append(1)",
                 "del store['s'][1]", "store['l'][0]['k']=1", "store['d']['k']['j']=1")
    for bad in bad_lines:
        with pytest.raises(laaos.CorruptLogError, match=":4:"):
            laaos.safe_load_str(f"store = {{'s': {{1}}}}\nstore['l']=[1]\nstore['d']={{}}\n{bad}\n")


def test_new_store_statement_restarts_the_store():
    assert laaos.safe_load_str("store = {}\nstore['a']=1\nstore = {}\nstore['b']=2\n") == {"b": 2}


def test_strings_with_escapes_and_unicode_round_trip():
    values = ["", "it's", 'say "hi"', "both ' and \"", "back\\slash", "nl\nx\ttab\rcr",
              "\x00\x7fé中😀\u200b", "\ud800", b"\x00\xff\\'\""]
    text = "store = {}\nstore['v']=" + repr(values) + "\n"
    assert laaos.safe_load_str(text)["v"] == values


def test_safe_load_store_is_safe_load():
    assert laaos.safe_load_store is laaos.safe_load


def test_path_objects_are_accepted(tmp_path):
    p = Path(tmp_path) / "x.py"
    p.write_text("store = {}\n")
    assert laaos.safe_load(p) == {}


def test_an_int_too_large_for_a_complex_is_a_limit_not_a_crash():
    """Found by the fuzzer: `-999...9-999j` overflowed converting the int to float."""
    for text in ("9" * 400 + "-1j", "-" + "9" * 400 + "+2.5j"):
        with pytest.raises(laaos.LogLimitError, match=r"<string>:2: a number too large for a complex"):
            laaos.safe_load_str(f"store = {{}}\nstore['c']={text}\n")
    assert laaos.safe_load_str("store = {}\nstore['c']=-1-2j\n") == {"c": -1 - 2j}


def test_an_int_of_4301_digits_is_a_limit_with_a_short_message_whatever_its_sign(backend):
    # (the sign is not part of the number token: the limit counts digits only, and the
    # message does not quote all 4301 of them)
    for text in ("9" * 4301, "-" + "9" * 4301, "[" + "9" * 4301 + "]"):
        with pytest.raises(laaos.LogLimitError, match=r"<string>:2: a number of 4301 digits \(the limit is 4300\)") as e:
            laaos.safe_load_str(f"store = {{}}\nstore['n']={text}\n")
        assert len(str(e.value)) < 200
    assert laaos.safe_load_str(f"store = {{}}\nstore['n']=-{'9' * 4300}\n") == {"n": -int("9" * 4300)}



@pytest.mark.parametrize("shape", ["{}", "[{}]", "[0.5, {}]", "{{'a': {}}}", "({},)", "[-{}]", "[{}j]"])
def test_a_float_over_the_limit_on_numbers_is_refused_wherever_it_stands(backend, shape):
    # (a list of floats is read in bulk by both backends: the limit holds there too)
    long = "0." + "0" * 5000 + "1"
    with pytest.raises(laaos.LogLimitError, match=r"<string>:2: a number of 500[34] digits \(the limit is 4300\)"):
        laaos.safe_load_str(f"store = {{}}\nstore['x']={shape.format(long)}\n")
    near = "1." + "0" * 4000 + "1"  # within the limit: the value Python gives it
    assert laaos.safe_load_str(f"store = {{}}\nstore['x']=[{near}, 2.5]\n") == {"x": [float(near), 2.5]}


# ---- partial loads ---------------------------------------------------------------------------

TRAINING = (
    "store = {'config': {'lr': 0.1}, 'losses': []}\n"
    "store['losses'].append(0.5)\nstore['config']['seed']=3\nstore['eval']={'acc': [0.1]}\n"
    "store['losses'].append(0.25)\nstore['eval']['acc'].append(0.2)\nstore['notes']=['a',\n'b']\n"
    "del store['eval']\nstore['final']={'acc': 0.9}\n"
)


@pytest.mark.parametrize("keys", [["config"], ["losses"], ["config", "final"], ["eval"], ["notes"], [], ["missing"]])
def test_a_partial_load_holds_exactly_the_keys_asked_for(tmp_path, keys):
    path = tmp_path / "run.py"
    path.write_text(TRAINING)
    whole = laaos.safe_load(path)
    part = laaos.safe_load(path, keys=keys)
    assert part == {k: v for k, v in whole.items() if k in keys}
    assert laaos.safe_load_str(TRAINING, keys=keys) == part
    many = laaos.load_many([path], keys=keys, processes=1)
    assert many[str(path)] == part
    result = laaos.load(path, keys=keys)
    assert set(result.keys) == set(keys) and result.lines == 10 and result.valid_bytes == result.size


def test_a_partial_load_skips_every_shape_of_line_as_a_whole_load_would_apply_it(tmp_path):
    # The kernel skips `.method(NUMBER)` lines under a skipped key with a quick check and
    # everything else with the exact rule: both must end each statement where a whole load does.
    log = (
        "store = {'config': {}, 'l': []}\r\n"
        "store['l'].append(1)\r\nstore['l'].append(-1.5e-05)\nstore['l'].append(1e5)\r\n"
        "store['l'].append([1,\n2])\nstore['l'].append(')')\nstore['l'].append(2)  # (\n"
        "store['config']['a']=1\nstore['l'].append(3)\nstore['l'].append((4,\r\n5))\n"
        "store['l'].extend([6, '\u00e9'])\nstore['l'].append(7)\nstore['config']['b']=[1,\n2]\n"
    ) * 3
    path = tmp_path / "run.py"
    path.write_bytes(log.encode())
    whole = laaos.load(path)
    part = laaos.load(path, keys=["config"])
    assert part.store == {"config": whole.store["config"]} == {"config": {"a": 1, "b": [1, 2]}}
    assert part.lines == whole.lines and part.valid_bytes == whole.valid_bytes == len(log.encode())
    assert laaos.load(path, keys=["l"]).store == {"l": whole.store["l"]}


def test_runs_of_float_appends_load_in_order_whatever_their_heads():
    # The pure twin applies runs of `store[K].append(FLOAT)` per list in bulk: two heads
    # for one list, a head hidden inside another line's key, a multi-line statement open
    # before a run, and a list replaced between runs must all load as line by line.
    log = (
        "store = {'a': [], 'b': []}\n"
        + "store['a'].append(1.5)\nstore[\"a\"].append(2.5)\nstore['b'].append(-3.5e-05)\n" * 3
        + "store['a'].append(4.5)\nstore['xstore['a'].append(5.5)\n"
        + "store['b'].append([6.5,\n7.5])\nstore['a'].append(8.5)\nstore['b'] = []\nstore['b'].append(9.5)\n"
    )
    with pytest.raises(laaos.LogSyntaxError) as info:
        laaos.safe_load_str(log)
    assert info.value.line == 12
    store = laaos.safe_load_str(log, skip_errors=True)
    assert store == {"a": [1.5, 2.5] * 3 + [4.5, 8.5], "b": [9.5]}


def test_a_partial_load_keeps_the_torn_tail_rule(tmp_path):
    path = tmp_path / "run.py"
    path.write_bytes(TRAINING.encode() + b"store['losses'].append(0.")
    with pytest.warns(laaos.TornTailWarning):
        result = laaos.load(path, keys=["config"])
    assert result.torn and result.dropped_bytes == len(b"store['losses'].append(0.")
    assert result.store == {"config": {"lr": 0.1, "seed": 3}}


def test_a_partial_load_still_reports_damage_in_the_statements_it_applies(tmp_path):
    path = tmp_path / "run.py"
    path.write_text(TRAINING + "store['config']['x']=[1, 2\nstore['final']['y']=1\n")
    with pytest.raises(laaos.CorruptLogError) as info:
        laaos.load(path, keys=["config"])
    assert info.value.line == 11
    assert laaos.load(path, keys=["config"], skip_errors=True).skipped[0][0] == 11


def test_keys_must_be_a_list_not_one_string(tmp_path):
    with pytest.raises(TypeError, match="list"):
        laaos.safe_load_str(TRAINING, keys="config")


# ---- a symbol nobody passed, told apart from damage ------------------------------------------


def test_a_well_formed_statement_naming_unknown_symbols_names_them_all():
    log = "store = {}\nstore['when']=[datetime.date(2020, 1, 1), Color.RED, float('nan')]\n"
    with pytest.raises(laaos.UnknownSymbolError) as info:
        laaos.safe_load_str(log)
    assert info.value.line == 2 and info.value.name == "datetime"
    assert "'datetime', 'Color'" in str(info.value) and "exposed_symbols=" in str(info.value)
    import datetime

    loaded = laaos.safe_load_str(log, exposed_symbols=[datetime, Color])
    assert loaded["when"][:2] == [datetime.date(2020, 1, 1), Color.RED]


@pytest.mark.parametrize("line", [
    "store['x']=[Color.RED,",  # never closed (followed by more statements)
    "store['x']=Color.RED Color.GREEN",
    "store['x']=(Color.RED))",
    "store['x'].append(Color.RED, 1)",
    "store['x']=Color.__class__",
    "store['x']=[Color.RED] + [1]",
    "store['x']=(lambda: Color)",
    "store['x']=Color.RED; import os",
])
def test_a_malformed_statement_that_also_names_an_unknown_symbol_is_damage(line):
    with pytest.raises(laaos.LogError) as info:
        laaos.safe_load_str("store = {'x': []}\n" + line + "\nstore['y']=1\n")
    assert not isinstance(info.value, laaos.UnknownSymbolError), info.value
    assert info.value.line == 2


def test_skip_errors_records_an_unknown_symbol_and_carries_on():
    result = laaos.safe_load_str("store = {}\nstore['x']=Color.RED\nstore['y']=1\n", skip_errors=True)
    assert result == {"y": 1}


# Top-level keys and values that are hard to pass over: quotes, brackets, '#' and escapes in
# keys and strings, int keys, a key asked for that appears inside a value, deep nesting.
TRICKY_KEYS = ["config", "loss", "acc", "it's", 'say "hi"', "a[b]", "x#y", "back\\slash", "conf", 1, -3, 0]
tricky_values = st.recursive(
    st.sampled_from(["", "config", "store['config']=1", "'", '"', "\\", "#", "(", "]", "{'a': [", "\n",
                     "\x00", "\u00e9", "\U0001f600", "\\'"]) | st.integers(-10**20, 10**20) | st.floats() | st.none()
    | st.booleans() | st.binary(max_size=6),
    lambda v: st.lists(v, max_size=4) | st.dictionaries(st.text("ab'\"[#", max_size=3), v, max_size=3)
    | st.tuples(v, v),
    max_leaves=12,
)


@st.composite
def tricky_logs(draw):
    """A log that loads (every statement well formed), of the shapes a partial load must
    pass over exactly: series appended in turn, dicts set and updated, multi-line
    statements, comments and blank lines, deletes."""
    lines = ["store = {}"]
    lists = set()
    for _ in range(draw(st.integers(1, 40))):
        key = draw(st.sampled_from(TRICKY_KEYS))
        kinds = ["set", "append", "append", "append", "multi", "comment", "del", "nested"]
        kind = draw(st.sampled_from(kinds))
        value = draw(tricky_values)
        if kind == "set" or (kind in ("append", "nested") and key not in lists):
            lines.append(f"store[{key!r}]=[{value!r}]" if kind != "set" else f"store[{key!r}]={value!r}")
            if kind != "set":
                lists.add(key)
            else:
                lists.discard(key)
        elif kind == "append":
            lines.append(f"store[{key!r}].append({value!r})")
        elif kind == "nested":
            lines.append(f"store[{key!r}][0] = {value!r}")
        elif kind == "multi":  # as laaos 2.1.1 wrote its initial data
            lines.append(f"store[{key!r}]=[\n{value!r},\n{value!r}]")
            lists.add(key)
        elif kind == "comment":
            lines.append(draw(st.sampled_from(["", "# store['config']=2", "   ", f"# {value!r}"])))
        elif key in lists or draw(st.booleans()):
            lines.append(f"store[{key!r}]=1\ndel store[{key!r}]")
            lists.discard(key)
    return "\n".join(lines) + "\n"


@pytest.mark.sized
@settings(max_examples=sized(60, 200), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(log=tricky_logs(), asked=st.lists(st.sampled_from(TRICKY_KEYS + [2, "missing"]), max_size=3))
@pytest.mark.parametrize("regex_from", [0, None])
def test_a_partial_load_equals_the_whole_load_restricted_to_its_keys(log, asked, regex_from, monkeypatch,
                                                                       backend):
    # (regex_from=0: the pure twin's regex for runs of lines passed over, on any stretch)
    if regex_from is not None:
        monkeypatch.setattr(laaos._parser, "_REGEX_PAYS", regex_from)
    whole = laaos.safe_load_str(log)
    expected = {k: v for k, v in whole.items() if k in asked}
    assert laaos.safe_load_str(log, keys=asked) == expected
    # fed in pieces, as a file is read: a stretch passed over may end anywhere
    parser = laaos.loader.new_parser("<pieces>", keys=asked)
    data = log.encode("utf-8", "surrogatepass")
    for i in range(0, len(data), 7):
        parser.feed(data[i : i + 7])
    assert parser.finish() == expected
    assert parser.lines == log.count("\n")


def test_a_partial_load_passes_over_long_stretches_of_lines_under_other_keys(backend):
    # Stretches of thousands of lines, series appended in turn with an eval dict now and
    # then, and the key asked for among them, its head also inside a string value.
    lines = ["store = {}", "store['config']={'lr': 0.1, 'note': \"store['loss']\"}", "store['loss']=[]",
             "store['acc']=[]", "store['eval']=[]", "store['log']=[]"]
    for i in range(5000):
        lines += [f"store['loss'].append({i * 0.5})", f"store['acc'].append({-i})"]
        if i % 97 == 0:
            lines += [f"store['eval'].append({{'step': {i}, 'acc': [0.5, (1, 2)], 'tag': 'a(b]'}})",
                      "store['log'].append(\"store['config']['lr']=7 # 'x'\")",
                      "store['config']['step']=%d" % i]
    log = "\n".join(lines) + "\n"
    whole = laaos.safe_load_str(log)
    for asked in (["config"], ["eval", "acc"], ["log"], ["missing"]):
        assert laaos.safe_load_str(log, keys=asked) == {k: v for k, v in whole.items() if k in asked}


# ---- big literals: scanned, not matched ---------------------------------------------------------

BIG_CHILD = """
import sys, time
import laaos
from laaos import _backend
_backend.impl = _backend.cython_impl if sys.argv[2] == "cython" else _backend.python_impl
hwm = lambda: int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])
t = time.perf_counter()
store = laaos.safe_load(sys.argv[1])
v = store['v']
v = v if type(v) is not dict else v['x']
v = v if type(v) is not list else v[0]
print(time.perf_counter() - t, hwm() / 1024, len(v))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak memory from /proc")
@pytest.mark.parametrize("where", ["store['v']={}", "store['v']={{'x': {}}}",
                                   "store['v']=[]\nstore['v'].append({})"])
@pytest.mark.parametrize("kind", ["str", "bytes"])
def test_a_10_mb_string_or_bytes_value_loads_in_linear_time_and_memory(tmp_path, kind, where, backend):
    import subprocess
    import sys

    # Dense escapes, as repr writes them: every byte value (\x.. escapes) in bytes; control
    # characters, both quotes (\' escaped), backslashes and text of the Basic Multilingual
    # Plane (two bytes a character in memory) in a str.  Astral characters (an emoji)
    # make every copy of the text twice as large.
    text = ("line\n\t\"q\" \\ \u00e9\u4e2d \x01'" * 700_000)[:10_000_000]
    value = text if kind == "str" else bytes(range(256)) * 40_000
    path = tmp_path / "big.py"
    path.write_text("store = {}\n" + where.format(repr(value)) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", BIG_CHILD, str(path), backend], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout
    seconds, peak_mib, length = out.split()
    assert int(length) == len(value)
    assert float(peak_mib) <= 120, out  # the interpreter itself is ~10 MiB
    assert float(seconds) <= 3, out  # ~0.1-0.7 s on a quiet machine; the bound leaves room for a busy one


@pytest.mark.parametrize("value", [
    r"('abc\\', 'd')", r"(b'x\'\\' b'y')", r"['a\'b\\\\', '\\']", r"'it\'s' # 'c'", r"{'k': 'v\\', 'w': 'z'}",
    r"('a\\' 'b\'' )", r"'\e\\' + 'x'",
])
@pytest.mark.parametrize("slice_chars", [2, 5, 1 << 20])
def test_a_long_literal_ends_where_python_ends_it_whatever_follows_on_its_line(value, slice_chars, monkeypatch,
                                                                                 backend):
    # A long literal is decoded up to the quote that seems to end it (the line's last one,
    # or the first with no backslash before it), and where it really ends is checked in
    # the same passes: escaped backslashes before a quote, other strings and a comment
    # after it.  (Slices of a few characters make every literal here a long one.)
    from laaos import _literals

    monkeypatch.setattr(_literals, "_SLICE", slice_chars)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = ast.literal_eval(value.split(" #")[0])
    except ValueError:  # (a `+`: refused by laaos as by literal_eval)
        with pytest.raises(laaos.UnsafeLogError, match="operator"):
            laaos.safe_load_str(f"store = {{}}\nstore['v']={value}\n")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert laaos.safe_load_str(f"store = {{}}\nstore['v']={value}\n")["v"] == expected
    with pytest.raises(laaos.LogSyntaxError, match="unterminated string"):
        laaos.safe_load_str("store = {}\nstore['v']='abcdef\\'\n")


@pytest.mark.parametrize("kind, bound", [("bytes", 8), ("str", 2.5)])
def test_a_long_literal_with_dense_escapes_decodes_at_the_speed_of_pythons_own_codec(kind, bound):
    # The pure twin's decoder (the extension has its own) against the codec alone on the
    # same text: looking for escapes Python would warn about must cost a few passes of C
    # string methods, not Python or regex work per escape (~4x and ~1.4x here; 17x and 3x
    # with a regex over every escape).  CPU time, best of 5, so that a busy machine counts less.
    import codecs
    import time

    from laaos import _literals

    if kind == "bytes":
        value = bytes(range(256)) * 12_000
        prefix, body = "b", repr(value)[2:-1]
        codec = lambda: codecs.escape_decode(body)[0]  # noqa: E731
    else:
        value = ("line\n\t\"q\" \\ \u00e9\u4e2d \x01'" * 200_000)[:3_000_000]
        prefix, body = "", repr(value)[1:-1]
        codec = lambda: body.encode("latin-1", "backslashreplace").decode("unicode_escape")  # noqa: E731
    laaos_decode = lambda: _literals.decode_string(prefix, body, "<log>", 1)  # noqa: E731
    assert laaos_decode() == value == codec()
    times = {"laaos": [], "codec": []}
    for _ in range(5):
        for what, decode in (("laaos", laaos_decode), ("codec", codec)):
            start = time.process_time()
            decode()
            times[what].append(time.process_time() - start)
    ratio = min(times["laaos"]) / min(times["codec"])
    assert ratio <= bound, f"{ratio:.1f}x the codec's time"


@pytest.mark.parametrize("value", ["'''abc'''", '"""abc"""', "b'''abc'''", "['''a''', 1]", "'''a"])
def test_a_triple_quoted_string_is_refused_as_one(value, backend):
    with pytest.raises(laaos.LogSyntaxError, match=":2: triple-quoted strings are not allowed") as e:
        laaos.safe_load_str(f"store = {{}}\nstore['x']={value}\n")
    assert e.value.construct == "triple-quoted string"
    assert laaos.safe_load_str("store = {}\nstore['x']=['', \"\", b'']\n") == {"x": ["", "", b""]}


def test_frozenset_calls_load_as_frozensets_and_nothing_else(backend):
    log = "store = {}\nstore[frozenset({1, (2, 3)})]={frozenset(), frozenset([4])}\n"
    assert laaos.safe_load_str(log) == {frozenset({1, (2, 3)}): {frozenset(), frozenset({4})}}
    for bad in ("frozenset(1)", "frozenset({1}, {2})", "frozenset({[1]})", "frozenset.union"):
        with pytest.raises(laaos.LogError, match=":2: "):
            laaos.safe_load_str(f"store = {{}}\nstore['x']={bad}\n")


def _big_log(tmp_path):
    path = tmp_path / "run.py"
    lines = ["store = {'steps': []}\n"] + [f"store['steps'].append({{'step': {i}}})\n" for i in range(60_000)]
    path.write_text("".join(lines))
    return path


def test_a_load_pauses_the_collector_and_turns_it_back_on(tmp_path):
    import gc

    path = _big_log(tmp_path)
    seen = []
    assert gc.isenabled()
    laaos.load(path, progress=lambda done, total: seen.append(gc.isenabled()))
    assert seen and not any(seen)  # paused while the log was read
    assert gc.isenabled()
    with open(path, "a") as f:
        f.write("store['steps'].append(1 +)\n")
    with pytest.raises(laaos.LogError):
        laaos.load(path)
    assert gc.isenabled()  # on again after a failed load too


def test_a_load_leaves_a_collector_turned_off_off(tmp_path):
    import gc

    path = _big_log(tmp_path)
    gc.disable()
    try:
        laaos.load(path)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_with_other_threads_a_load_leaves_the_collector_alone(tmp_path):
    """The switch is the whole process's: another thread that turns the collector off
    while a load runs must find it off afterwards, so a load never touches it then."""
    import gc
    import threading

    path = _big_log(tmp_path)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    seen = []
    try:
        results = []
        loads = [threading.Thread(target=lambda: results.append(laaos.load(path).statements)) for _ in range(2)]
        for t in loads:
            t.start()
        laaos.load(path, progress=lambda done, total: seen.append(gc.isenabled()))
        for t in loads:
            t.join()
    finally:
        stop.set()
        other.join()
    assert seen and all(seen) and gc.isenabled()
    assert results == [60_001, 60_001]


@pytest.mark.parametrize("slice_chars", [3, 1 << 20])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet="\\'\"ax47enNu\u00e9", max_size=24), prefix=st.sampled_from(["", "b"]))
def test_string_literals_end_and_decode_as_python_reads_them(body, prefix, slice_chars, monkeypatch, backend):
    # Dense escapes and escaped quotes, cut into slices of a few characters (the decoder's
    # slices and the stray-backslash check's), read as Python reads the same literal.
    from laaos import _literals

    monkeypatch.setattr(_literals, "_SLICE", slice_chars)
    # (Python may read the text as several literals, which it joins: so does laaos.)
    text = f"{prefix}'{body}'"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Python warns about a stray backslash
            expected = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        expected = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the loader does not
            got = laaos.safe_load_str("store = {}\nstore['v']=" + text + "\n")["v"]
    except laaos.LogError:
        got = None
    if expected is None or "\\N" in body and not prefix or (prefix and not body.isascii()):
        return  # refused by Python or by laaos (\N{...} in a str): compared where both read it
    assert got == expected


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_among_the_logs_is_refused_not_waited_on(tmp_path):
    # (opening a pipe to read waits for a writer: a sweep's glob must not hang on one)
    (tmp_path / "a.py").write_text("store = {'x': 1}\n")
    os.mkfifo(tmp_path / "pipe.py")
    with pytest.raises(OSError, match="named pipe"):
        laaos.load(tmp_path / "pipe.py")
    with pytest.raises(OSError, match="named pipe"):
        laaos.load(tmp_path / "pipe.py", encoding="cp1252")
    runs = laaos.load_many(str(tmp_path / "*.py"))
    assert runs == {str(tmp_path / "a.py"): {"x": 1}}
    assert "named pipe" in str(runs.errors[str(tmp_path / "pipe.py")])


@pytest.mark.parametrize("slice_chars", [3, 1 << 20])
@pytest.mark.parametrize("literal", [r"b'\e'", r"b'\u00e9\N{BULLET}'", r"b'\777\400'", r"b'\\\q'", r"'\777'",
                                     r"'ab\777'", r"'\8\e'", r"('\e'" + "\n" + r" '\q')"])
def test_an_escape_python_warns_about_loads_as_python_reads_it_and_without_a_warning(
    literal, slice_chars, monkeypatch, backend
):
    # A stray backslash stays, an octal escape past \377 is the character (in bytes, its
    # low byte): Python warns about both, a log is data and loads silently.  (Looked for
    # in slices of a few characters too, which must not cut an escape.)
    from laaos import _literals

    monkeypatch.setattr(_literals, "_SLICE", slice_chars)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ast.literal_eval(literal)
    log = f"store = {{'l': []}}\nstore['v']={literal}\nstore['l'].append({literal})\nstore[{literal}]=1\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert laaos.safe_load_str(log) == {"l": [expected], "v": expected, expected: 1}
