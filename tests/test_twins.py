"""Differential tests: the Cython and the pure-Python twins agree byte for byte, and
rendering equals repr wherever repr is the format."""

import ast
import importlib.util
import math
import random
import re
import struct
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import laaos
from laaos import _backend
from helpers import SEED_LOG, TWINS, needs_both, new_store, parse_with, plain, same, sized

# A test that compares the twins itself (or tests one module directly) needs one run, not
# one per value of the ``backend`` fixture: it takes ``backend`` and is pinned to one.
once = pytest.mark.parametrize("backend", ["cython"], indirect=True)
pure_once = pytest.mark.parametrize("backend", ["python"], indirect=True)


def no_fallback(value):
    raise TypeError(type(value))


scalars = (
    st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.binary(max_size=20)
    | st.booleans()
    | st.none()
    | st.complex_numbers(allow_nan=False, allow_infinity=False)
)
keys = st.recursive(st.integers() | st.text(max_size=5) | st.floats(allow_nan=False) | st.none() | st.booleans(),
                    lambda k: st.tuples(k, k), max_leaves=4)
values = st.recursive(
    scalars,
    lambda v: st.lists(v, max_size=4) | st.dictionaries(keys, v, max_size=4) | st.sets(keys, max_size=4)
    | st.tuples(v) | st.tuples(v, v),
    max_leaves=12,
)


def expected_text(value):
    """The brief's format: repr, with loadable NaN/inf."""
    if isinstance(value, float) and not math.isfinite(value):
        return "float('nan')" if value != value else ("float('inf')" if value > 0 else "-float('inf')")
    return repr(value)


@pytest.mark.sized
@given(st.floats(allow_nan=True, allow_infinity=True))
@settings(max_examples=sized(600, 3000))
def test_floats_render_as_repr(x):
    assert _backend.impl.render(x, no_fallback) == expected_text(x)


@pytest.mark.sized
@given(st.integers(0, 2**64 - 1))
@settings(max_examples=sized(600, 3000))
def test_random_double_bit_patterns_render_as_repr(bits):
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    assert _backend.impl.render(x, no_fallback) == expected_text(x)


EDGE_FLOATS = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
               1.7976931348623157e308, 1e16, 1e15, 9999999999999998.0, 1e-4, 1e-5, 0.0001, 0.00001,
               123456789012345678.0, 0.1, 0.2 + 0.1, 1.5, 100.0, 1e22, 1e23, 2**53, 2.0**-1074,
               float("nan"), float("inf"), -float("inf")] + [float(f"1e{e}") for e in range(-330, 310)]


@pytest.mark.parametrize("x", EDGE_FLOATS)
def test_float_class_edges(x):
    assert _backend.impl.render(x, no_fallback) == expected_text(x)
    assert _backend.impl.render(-x, no_fallback) == expected_text(-x)


def _edge_doubles():
    """Where a shortest-digits algorithm goes wrong if it does: the smallest subnormals
    (a wide interval around few bits), both sides of every power of two (the gap below
    is half the gap above) and the neighbours of every power of ten (shortest forms with
    one digit, and ties)."""
    as_double = struct.Struct("<d").unpack
    for t in range(1, 3000):
        yield as_double(t.to_bytes(8, "little"))[0]
    for e in range(-1074, 1024):
        x = math.ldexp(1.0, e)
        yield from (x, math.nextafter(x, 0), math.nextafter(x, math.inf))
    for k in range(-323, 309):
        x = float(f"1e{k}")
        for _ in range(8):
            yield x
            x = math.nextafter(x, math.inf)


@once
def test_floats_at_binade_and_decade_edges_render_as_repr(backend):
    wrong = [(repr(x), text) for x in _edge_doubles() for text in [_backend.impl.render(x, no_fallback)]
             if text != repr(x)]
    assert wrong == []


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not (ROOT / "tools" / "gen_pow10_table.py").exists(), reason="needs the source tree")
def test_the_committed_power_of_ten_table_is_what_its_generator_makes():
    # src_ext/shortest.h multiplies by these: a hand-edited or stale row would print
    # wrong digits for a whole decade of doubles
    spec = importlib.util.spec_from_file_location("gen_pow10_table", ROOT / "tools" / "gen_pow10_table.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    rows = re.findall(r"\{0x([0-9a-f]{16})u, 0x([0-9a-f]{16})u\},  /\* (-?\d+) \*/",
                      (ROOT / "src_ext" / "pow10_table.h").read_text())
    assert [int(k) for _, _, k in rows] == list(range(gen.K_MIN, gen.K_MAX + 1))
    for g1, g0, k in rows:
        g = (int(g1, 16) << 63) + int(g0, 16)
        assert g == gen.g_of(int(k)), k
        # checked apart from the generator's arithmetic: (g - 1) 2**r <= 10**-k < g 2**r
        # for the r that puts g in [2**125, 2**126]
        ten = Fraction(10) ** -int(k)
        r = ten.numerator.bit_length() - ten.denominator.bit_length() - 125
        while ten / Fraction(2) ** r >= 1 << 126:
            r += 1
        while ten / Fraction(2) ** r < 1 << 125:
            r -= 1
        assert (g - 1) * Fraction(2) ** r <= ten < g * Fraction(2) ** r, k


@pytest.mark.slow
@once
def test_two_million_random_doubles_render_as_repr(backend):
    rnd = random.Random(20261127)
    as_double = struct.Struct("<d").unpack
    wrong = []
    for _ in range(2_000_000):
        x = as_double(rnd.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(x) and _backend.impl.render(x, no_fallback) != repr(x):
            wrong.append(repr(x))
    assert wrong == []


@given(st.integers() | st.text() | st.binary() | st.booleans() | st.none())
def test_other_scalars_render_as_repr(value):
    assert _backend.impl.render(value, no_fallback) == repr(value)


@once
@needs_both
@pytest.mark.sized
@given(values)
@settings(max_examples=sized(150, 500), suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_twins_render_identically(backend, value):
    texts = {m.render(value, no_fallback) for m in TWINS}
    assert len(texts) == 1


@given(values)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_rendered_values_load_back(value):
    text = "store = {}\nstore['v']=" + _backend.impl.render(value, no_fallback) + "\n"
    loaded = laaos.safe_load_str(text)["v"]
    assert same(loaded, value) or (isinstance(value, complex) and loaded == value)


@once
@needs_both
@pytest.mark.sized
@given(st.data())
@settings(max_examples=sized(300, 1500), suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None)  # a busy machine
def test_twins_parse_mutated_logs_identically(backend, data):
    log = bytearray(SEED_LOG)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = data.draw(st.integers(0, max(len(log) - 1, 0)))
        if kind == "flip" and log:
            log[pos] = data.draw(st.sampled_from(list(b"[](){}'\",:.=-+0123456789\n\x00 aeE_\\j#")))
        elif kind == "insert":
            log[pos:pos] = data.draw(st.binary(max_size=4))
        elif kind == "delete":
            del log[pos : pos + data.draw(st.integers(1, 5))]
        else:
            del log[pos:]
    skip = data.draw(st.booleans())
    results = [parse_with(m, bytes(log), skip) for m in TWINS]
    assert results[0] == results[1]


@once
@needs_both
@given(st.lists(st.integers(0, len(SEED_LOG)), min_size=1, max_size=8))
def test_twins_agree_however_the_bytes_are_chunked(backend, cuts):
    """The log fed in chunks cut anywhere in it (inside a statement, a string, a UTF-8
    character, between a line and its newline) loads as the whole log does."""
    data = SEED_LOG
    cuts = sorted(set(cuts) | {len(data)})
    for m in TWINS:
        parser = m.LogParser("<chunks>", {}, False)
        start = 0
        for cut in cuts:
            parser.feed(data[start:cut])
            start = cut
        assert repr(parser.finish()) == parse_with(TWINS[1], data)[1]


@once
@needs_both
def test_twins_agree_with_the_log_cut_in_two_at_every_byte(backend):
    data = SEED_LOG
    whole = parse_with(TWINS[1], data)[1]
    for m in TWINS:
        for cut in range(len(data) + 1):
            parser = m.LogParser("<chunks>", {}, False)
            parser.feed(data[:cut])
            parser.feed(data[cut:])
            assert repr(parser.finish()) == whole, (m.__name__, cut, data[:cut][-20:])


# ---- random operation sequences: the log loads to the in-memory state -------------

ops = st.lists(
    st.tuples(st.sampled_from(["set", "append", "extend", "insert", "setitem", "del", "add", "nested"]),
              st.sampled_from("abc"), values, st.integers(-3, 3)),
    max_size=40,
)


@pytest.mark.sized
@given(ops)
@settings(max_examples=sized(60, 200), suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None)
def test_random_operations_load_back_to_the_store(sequence):
    root, log = new_store()
    for op, name, value, index in sequence:
        try:
            if op == "set":
                root[name] = value
            elif op == "nested":
                root[name] = {"inner": [value], "s": set()}
            elif name not in root:
                root[name] = []
            target = root[name]
            if isinstance(target, laaos.StoreDict):
                target = target.get("inner", target)
            if op == "append" and isinstance(target, laaos.StoreList):
                target.append(value)
            elif op == "extend" and isinstance(target, laaos.StoreList):
                target.extend([value, value])
            elif op == "insert" and isinstance(target, laaos.StoreList):
                target.insert(index, value)
            elif op == "setitem" and isinstance(target, laaos.StoreList) and target:
                target[index % len(target)] = value
            elif op == "del" and isinstance(target, laaos.StoreList) and target:
                del target[index % len(target)]
            elif op == "add" and isinstance(root[name], laaos.StoreDict) and "s" in root[name]:
                root[name]["s"].add(value if not isinstance(value, (list, dict, set)) else 0)
        except TypeError:
            pass  # unhashable keys: refused, and the log must still match
    loaded = laaos.safe_load_str(log.getvalue())
    assert same(loaded, canonical(plain(root)))


def canonical(value):
    """Tuples are stored as lists (outside keys), as the store does."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


# ---- strings and bytes: every escape, both twins, the same value or the same refusal -------

ESCAPED = [
    r"'\x41\xe9\xff'", r"'\u00e9\u4e2d\ud800\udfff'", r"'\U0001F600\U0010ffff'", r"'\U00110000'",
    r"'\N{BULLET}'", r"'\a\b\f\v\0\101\777'", r"'\q\ '", r"'\x4'", r"'\u12'", r"'tab\tnl\ncr\r'",
    r"'\\'", r"'\''", r'"\""', r"'\\\''", r"b'\x00\xff\\\'\n'", r"B'abc'", r"u'\u00e9'", r"U'x'",
    r"r'x'", r"rb'x'", r"f'x'", r"br'x'", r"Rb'x'", r"b'\u00e9'", r"b'\101'", "b'\xc3\xa9'",
    "'\xc3\xa9\xe4\xb8\xad'", "'\xed\xa0\x80'", "'\xff'", r"'unterminated", r"'ends in \'",
    r"'a' 'b'", r"'a'b'c'", r"('a', b'b', 'c\n')", r"{'\x00': b'\x01', '\n': {'\t'}}",
]


@once
@needs_both
@pytest.mark.parametrize("literal", ESCAPED)
def test_twins_read_every_string_escape_alike(backend, literal):
    for form in ("store['v']={}\n", "store['l'].append({})\n", "store['d'][{}]=1\n"):
        data = b"store = {'l': [], 'd': {}}\nstore['l'].append(1)\n" + form.format(literal).encode("utf-8", "surrogatepass")
        results = [parse_with(m, data) for m in TWINS]
        assert results[0] == results[1], (literal, form)


@once
@needs_both
@given(st.text() | st.binary())
@settings(max_examples=500)
def test_twins_read_every_repr_of_strings_and_bytes_alike(backend, value):
    data = b"store = {'l': []}\nstore['l'].append(0)\nstore['l'].append(" + repr(value).encode("utf-8", "surrogatepass") + b")\n"
    results = [parse_with(m, data) for m in TWINS]
    assert results[0] == results[1]
    assert results[0][0] == "ok" and ast.literal_eval(results[0][1])["l"][1] == value


@once
@needs_both
@pytest.mark.parametrize("keys", [None, ["l"], ["cfg"], ["s", "n", 7]])
def test_twins_agree_on_partial_loads(backend, keys):
    results = [parse_with(m, SEED_LOG, keys=keys) for m in TWINS]
    assert results[0] == results[1]




@once
@needs_both
@pytest.mark.parametrize("line", [b"store['l',].append(-2)", b"store['m'x].append(-2)", b"store['m'\t,].append(-2)",
                                  b"store[\"m\",].append(-2)"])
def test_a_skipped_line_whose_key_is_not_closed_is_damage_in_a_partial_load(backend, line):
    series = b"".join(b"store['m'].append(%d)\n" % i for i in range(50))
    head = b"store = {'l': [], 'm': []}\n"
    results = []
    for m in TWINS:
        for keys in (["l"], ["x"], None):
            parser = m.LogParser("<log>", {}, False, keys=keys)
            with pytest.raises(laaos.LogSyntaxError) as e:
                parser.feed(head)  # (the rest fed on its own: a run of skipped lines from its start)
                parser.feed(series + line + b"\n" + series)
                parser.finish()
            results.append((e.value.line, str(e.value)))
    assert results == [(52, results[0][1])] * 6

# The bytes a skipped line's rest may hold, each deciding whether the line is passed over
# whole: brackets, quotes, '#', a backslash, non-ASCII, a CR, a blank line, a newline.
REST_BITS = [b"(", b")", b"[", b"]", b"{", b"}", b"'", b'"', b"#", b"&", b"%$!", b"\\", b"\xc3\xa9", b"\xff", b"\r", b"\n",
             b".append(", b"0.123456789", b", ", b"1", b"x" * 13, b"x" * 29, b"x" * 40]


@once
@needs_both
@given(st.lists(st.tuples(st.sampled_from([b"store['loss']", b"store['acc']", b'store["lr"]', b"store[7]", b"store['config']"]),
                          st.lists(st.sampled_from(REST_BITS), max_size=8)), min_size=1, max_size=40),
       st.sampled_from([["config"], ["acc", 7], ["nothing"]]), st.booleans(), st.booleans(), st.integers(1, 64))
@settings(max_examples=sized(300, 2000), suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_twins_agree_on_partial_loads_of_any_rest(backend, lines, keys, call, skip, cut):
    """The run of skipped lines the extension passes over a block at a time: every rest
    the per-line rule decides, at every length around the block sizes, fed whole and cut."""
    log = b"store = {}\nstore['loss']=[]\nstore['acc']=[]\nstore['lr']=[]\nstore[7]=[]\nstore['config']={}\n"
    # (mostly a call, `.append(...)`, as the writer writes: a damaged line ends a load)
    log += b"".join(head + (b".append(%s)" if call else b"%s") % b"".join(rest) + b"\n" for head, rest in lines)
    results = [parse_with(m, log, skip, keys) for m in TWINS]
    assert results[0] == results[1]
    parsers = [m.LogParser("<cut>", {}, skip, keys=keys) for m in TWINS]
    fed = []
    for parser in parsers:
        try:
            for at in range(0, len(log), cut):
                parser.feed(log[at : at + cut])
            fed.append(("ok", repr(parser.finish()), parser.statements, parser.lines, parser.skipped))
        except laaos.LogError as e:
            fed.append(("error", type(e).__name__, e.line, str(e)))
    assert fed[0] == fed[1]

# ---- the pure twin's JSON-subset fast path agrees with its general parser ------------------

json_like = st.recursive(
    st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text() | st.booleans() | st.none(),
    lambda v: st.lists(v, max_size=4) | st.dictionaries(st.text(max_size=5), v, max_size=4),
    max_leaves=20,
)
LITERAL_BITS = ["[", "]", "{", "}", "'", '"', "\\n", "\\t", "\\r", '\\"', "\\\\\\'", ", ", ": ", ":", ",", " ", "\\", "\\'", "\\\\", "\\x41", "\\u00e9",
                "\\N{DASH}", "\\/", "None", "True", "False", "NaN", "Infinity", "nan", "1", "-", "0", "01", "1e5",
                "1.", ".5", "1_0", "e", "+", "b'", "u'", "\t", "\x00", "\xe9", "#", "(", ")", "9" * 4400, "[" * 70,
                "]" * 70, "{'k': "]


def general_value(text):
    from laaos._grammar import parse_value
    from laaos._parser import LogParser

    try:
        return parse_value(LogParser(), text)
    except laaos.LogError:
        return laaos.LogError


@pure_once
@pytest.mark.sized
@given(json_like)
@settings(max_examples=sized(300, 1000), suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_json_fast_path_reads_repr_as_the_general_parser(backend, value):
    from laaos._literals import MISS, json_literal

    text = repr(value)
    fast = json_literal(text)
    if isinstance(value, (list, dict, str)) and not (isinstance(value, str) and "\x00" in value):
        assert fast is not MISS or "\x00" in text or "\\N" in text
    if fast is not MISS:
        assert same(fast, general_value(text))


@pure_once
@pytest.mark.sized
@given(st.lists(st.sampled_from(LITERAL_BITS), max_size=12))
@settings(max_examples=sized(600, 3000), suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_json_fast_path_never_reads_what_the_general_parser_refuses(backend, bits):
    from laaos._literals import MISS, json_literal

    text = "".join(bits).strip(" \t")
    fast = json_literal(text)
    if fast is not MISS:
        expected = general_value(text)
        assert expected is not laaos.LogError, text
        assert same(fast, expected), text
