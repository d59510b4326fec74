"""Replay a fuzz corpus through the Cython parser, for a memory checker to watch.

    LAAOS_FUZZ_EXAMPLES=100000 LAAOS_FUZZ_CORPUS=/tmp/corpus pytest tests/test_fuzz.py -k mutated
    python tools/memcheck.py /tmp/corpus [LIMIT]             # under ASan or valgrind

Each input is parsed whole and again in small chunks; a LogError is an expected outcome,
anything else is reported.  Prints the number of inputs replayed.
"""

import struct
import sys
import warnings

from laaos import _backend
from laaos.errors import LogError


def inputs(path, limit):
    with open(path, "rb") as f:
        data = f.read()
    i = n = 0
    while i < len(data) and n < limit:
        (size,) = struct.unpack_from("<I", data, i)
        yield data[i + 4 : i + 4 + size]
        i += 4 + size
        n += 1


def parse(log, chunk):
    parser = _backend.cython_impl.LogParser("<memcheck>", {}, False)
    try:
        for start in range(0, len(log), chunk):
            parser.feed(log[start : start + chunk])
        parser.finish()
    except LogError:
        pass


def main():
    assert _backend.cython_impl is not None, "the extension is not built"
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 62
    warnings.simplefilter("ignore")
    n = 0
    for log in inputs(path, limit):
        parse(log, len(log) or 1)
        parse(log, 7)
        n += 1
    # the writer and renderer too, on values that cover every branch
    from laaos import Store
    import io

    for _ in range(100):
        out = io.StringIO()
        root = Store(out, durability="buffered", buffer_size=64).root
        root["l"] = []
        for v in (1.5, -0.0, float("nan"), 2**70, "é\n", b"\x00", None, True, 1e-300, 5e-324):
            root["l"].append(v)
        root["d"] = {"s": {1, (2, "x")}, "c": 1 + 2j, "t": (1,), "n": [[[]]]}
        root.close()
    print(f"memcheck: replayed {n} inputs, twice each, without a crash")


if __name__ == "__main__":
    main()
