"""A mutation fuzzer for the two parsers: they never crash, hang or run code, and they
agree on every input (the same store or the same refusal).

The quick suite runs 300 inputs; ``pytest --slow`` (and the long pass of ``.ci/run``, which
selects the tests marked ``sized``) runs the long fuzz run of 3,000, the same ones on every
run.  ``LAAOS_FUZZ_EXAMPLES`` sets the number of inputs; ``LAAOS_HYPOTHESIS=explore``
draws new ones, as the runs of 100,000 that RELIABILITY.md records did.
``LAAOS_FUZZ_CORPUS=FILE`` also appends every input to FILE (length-prefixed), the corpus
that ``tools/memcheck.py`` replays under ASan+UBSan or valgrind.
"""

import os
import struct
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import SEED_LOG, TWINS, needs_both, parse_with, sized
from laaos.loader import Recoded, written_in_utf8

EXAMPLES = int(os.environ.get("LAAOS_FUZZ_EXAMPLES", sized(300, 3000)))
CORPUS = os.environ.get("LAAOS_FUZZ_CORPUS")
MARKER = Path(os.environ.get("TMPDIR", "/tmp")) / "laaos-fuzz-ran-code"

DATA = Path(__file__).parent / "data" / "laaos-2.1.1"
WINDOWS = Path(__file__).parent / "data" / "laaos-2.1.1-windows"
SEEDS = [SEED_LOG] + [p.read_bytes() for p in sorted(DATA.glob("*.py")) + sorted(WINDOWS.glob("*.py"))] + [
    # the fast path: a run of appends and sets with one head
    b"store = {}\nstore['l']=[]\nstore['d']={}\n"
    + b"".join(b"store['l'].append(%d.5)\nstore['d']['k']=%d\n" % (i, i) for i in range(30)),
    # hostile lines that must stay text
    b"store = {}\nstore['x']=__import__('os').system('touch " + str(MARKER).encode() + b"')\n"
    b"store['y']=(lambda: 1)()\nstore['z']=open('/etc/passwd').read()\n",
    # a training log: three interleaved series, an eval dict now and then, per-sample scores
    b"store = {}\nstore['config']={'lr': 0.001, 'name': 'run \\'1\\'\\n'}\nstore['loss']=[]\n"
    b"store['acc']=[]\nstore['lr']=[]\nstore['eval']=[]\nstore['scores']=[]\n"
    + b"".join(b"store['loss'].append(0.%d5)\nstore['acc'].append(%d)\nstore['lr'].append(1e-0%d)\n" % (i, i, i % 9)
               + (b"store['eval'].append({'step': %d, 'acc': 0.5})\n" % i if i % 4 == 0 else b"")
               + (b"store['scores'].append([0.1, 0.2, -0.5, 1e-300])\n" if i % 7 == 0 else b"")
               for i in range(20)),
    # a dict of metrics per step, and per-sample data replaced each round
    b"store = {}\nstore['metrics']=[]\nstore['samples']={}\n"
    + b"".join(b"store['metrics'].append({'step': %d, 'loss': %d.5, 'ok': True, 'tag': None})\n"
               b"store['samples']['scores']=[%s]\n" % (i, i, b", ".join(b"%d.25" % j for j in range(i)))
               for i in range(8)),
    # strings and bytes: long ones, every escape repr writes, prefixes
    b"store = {}\nstore['s']='" + b"ab\\'c\\\\d\\n\\t\\x00\\u20ac\\U0001f600" * 200 + b"'\n"
    b"store['b']=b'" + b"\\x00\\xff\\\\\\'" * 200 + b"'\nstore['u']=u'\xc3\xa9'\nstore['B']=B\"x\"\n",
    # deep but legal nesting, complex numbers, non-finite floats, big ints
    b"store = {}\nstore['deep']=" + b"[" * 98 + b"1" + b"]" * 98 + b"\nstore['c']=[(1+2j), (-0-1.5j), 2j]\n"
    b"store['f']=[float('nan'), float('inf'), -float('inf')]\nstore['i']=" + b"9" * 200 + b"\n",
    # every operation: extend, insert, add, discard, del, clear, list set, store = ...
    b"store = {}\nstore['l']=[1]\nstore['l'].extend([2, 3])\nstore['l'].insert(0, 0)\nstore['l'][1] = 'x'\n"
    b"store['s']={1}\nstore['s'].add(2)\nstore['s'].discard(1)\ndel store['l'][0]\nstore['l'].clear()\n"
    b"store['d']={'a': {'b': []}}\nstore['d']['a']['b'].append(1)\nstore['d']['a']={}\n"
    b"store['d']['a']['c']=2\ndel store['d']\nstore = {'x': 1}\nstore['x']=2\n",
    # what laaos 2.1.1 wrote for complex numbers with a non-finite part, in every shape
    b"store = {}\nstore['c']=[(inf+1j), (1+infj), (nan+nanj), infj, -infj, (-0-infj), (inf-0j), nanj]\n"
    b"store['d']={'peak': (-inf+nanj)}\nstore['c'].append((2.5-infj))\nstore['x']=nan\n",
    # what a partial load must pass over exactly: brackets, quotes, '#' and escapes in keys
    # and strings, a multi-line statement, the head of a key asked for inside a value
    b"store = {}\nstore['config']={'a': 1}\nstore['loss']=[]\nstore[\"it's\"]=[]\nstore['a[b]']={}\n"
    + b"".join(b"store['loss'].append(%d.5)\nstore[\"it's\"].append('(]# \\' \\\\')\n"
               b"store['a[b]']['k%d']=\"store['config']={'x': ['\"\n" % (i, i)
               + (b"store['loss'].append([\n1,\n2])\n# store['config']=0\n\n" if i % 5 == 0 else b"")
               for i in range(12))
    + b"store['config']['b']=[(1, 2), {'c': '#'}]\ndel store['a[b]']\n",
    # what laaos 2.1.1 wrote through pprint: str and bytes cut into adjacent literals, one a
    # line; initial data given as (key, value) pairs, one line and cut over lines
    b"store = (\n{'s': 'abc'\n 'def', 'b': b'x'\n      b'y', 'l': [1,\n       2]}\n)\nstore['s']='g' 'h'\n",
    b"store = (\n[['a', 1], ('b', [2])]\n)\nstore['c']=3\nstore['b'].append(4)\n",
    b"store = (\n[('text', 'word word '\n          'word'),\n ('n', 1)]\n)\nstore['n']=2\n",
    # a log 2.1.1 wrote on Windows, in cp1252 (compared as the loader recodes it, too)
    b"store = {}\nstore['unit']='\xb5s'\nstore['author']='M\xfcller'\nstore['notes']=['caf\xe9 \x96 20 \x80']\n",
    # CRLF line ends, a BOM, comments and blank lines
    b"\xef\xbb\xbfstore = {}\r\n# comment\r\n\r\nstore['a']=[1,\r\n2]\r\nstore['a'].append(3)\r\n",
]

TOKENS = [b"[", b"]", b"(", b")", b"{", b"}", b"'", b'"', b",", b":", b".", b"=", b"-", b"\n", b"\r\n",
          b"\x00", b" ", b"\\", b"#", b"e", b"j", b"_", b"float('nan')", b"set()", b".append(", b"del ",
          b"store", b"['k']", b"\xc3\xa9", b"\xff", b"\xe4\xb8", b"1e308", b"1e-400", b"0x1f", b"1_000",
          b"inf", b"nan", b"infj", b"nanj", b"(inf+", b"+infj)"]


@st.composite
def mutated_logs(draw):
    log = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(
            ["flip", "token", "insert", "delete", "truncate", "duplicate", "nest", "long", "number", "swap"]))
        pos = draw(st.integers(0, max(len(log) - 1, 0)))
        if kind == "flip" and log:
            log[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "token":
            log[pos:pos] = draw(st.sampled_from(TOKENS))
        elif kind == "insert":
            log[pos:pos] = draw(st.binary(max_size=8))
        elif kind == "delete":
            del log[pos : pos + draw(st.integers(1, 12))]
        elif kind == "truncate":
            del log[pos:]
        elif kind == "duplicate":
            end = log.find(b"\n", pos)
            if end > 0:
                log[end + 1 : end + 1] = log[pos : end + 1]
        elif kind == "nest":  # deep nesting, around the limit of 100
            depth = draw(st.sampled_from([5, 99, 100, 101, 300]))
            open_, close = draw(st.sampled_from([(b"[", b"]"), (b"{", b"}"), (b"(", b")"), (b"-", b"")]))
            log[pos:pos] = b"\nstore['n']=" + open_ * depth + b"1" + close * depth + b"\n"
        elif kind == "long":  # a long line
            log[pos:pos] = b"\nstore['s']='" + b"x" * draw(st.integers(1000, 200_000)) + b"'\n"
        elif kind == "number":  # huge numbers, at the digit limit and past it
            digits = draw(st.sampled_from([20, 4299, 4300, 4301, 10_000]))
            tail = draw(st.sampled_from([b"", b".5", b"e5", b"e99999", b"j"]))
            log[pos:pos] = b"\nstore['i']=-" + b"9" * digits + tail + b"\n"
        elif kind == "swap" and log:
            a = draw(st.integers(0, len(log) - 1))
            log[pos], log[a] = log[a], log[pos]
    return bytes(log)


# Both twins parse every input inside the test: one run of it is enough.
@pytest.mark.sized
@pytest.mark.parametrize("backend", ["cython"], indirect=True)
@needs_both
@given(mutated_logs(), st.booleans(), st.sampled_from([None, None, ["l"], ["loss", "config"], ["s", "metrics"], ["config"], ["it's", 7]]))
@settings(max_examples=EXAMPLES, deadline=timedelta(seconds=10),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_parsers_agree_on_mutated_logs(backend, log, skip, keys):
    if CORPUS:
        with open(CORPUS, "ab") as f:
            f.write(struct.pack("<I", len(log)) + log)
    results = [parse_with(m, log, skip, keys) for m in TWINS]
    assert results[0] == results[1]
    if not written_in_utf8(log):  # what `encoding="cp1252"` hands the parser
        text = Recoded(log, "cp1252").text
        results = [parse_with(m, text, skip, keys) for m in TWINS]
        assert results[0] == results[1]
    assert not MARKER.exists(), "a log ran code"


@pytest.mark.parametrize("backend", ["cython"], indirect=True)
def test_the_seeds_parse(backend):
    """The fuzzer starts from valid logs, and from a hostile one that is refused."""
    for seed in SEEDS:
        result = parse_with(TWINS[-1], seed if written_in_utf8(seed) else Recoded(seed, "cp1252").text)
        if b"__import__" in seed:
            assert result[:3] == ("error", "UnsafeLogError", 2)
        elif b"Color" not in seed:  # the enum log needs its symbols passed in
            assert result[0] == "ok" and result[2] > 0, result
