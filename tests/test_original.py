"""Interoperability with the original laaos 2.1.1, both directions, on random operations.

The original is installed from the package index into its own folder (it has our
distribution name) and runs in a child process.
"""

import inspect
import random

import pytest

import laaos
from helpers import plain, run_original

SCALARS = [0, 1, -7, 2**70, 0.5, -0.0, 1e-05, 1e16, 123.456, "", "a", "it's", "中文 😀", None, True, False, b"x\x00"]


def random_ops(seed, n=120):
    """A random sequence of store operations, as data both libraries can replay."""
    rng = random.Random(seed)
    ops = []
    model = {}  # name -> kind, to only generate operations that apply

    def value(depth=0):
        r = rng.random()
        if depth < 2 and r < 0.15:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        if depth < 2 and r < 0.25:
            return {rng.choice("xyz"): value(depth + 1) for _ in range(rng.randint(0, 3))}
        return rng.choice(SCALARS)

    for _ in range(n):
        lists = [k for k, v in model.items() if v == "list"]
        r = rng.random()
        if r < 0.2 or not lists:
            name = rng.choice("abcdefg")
            kind = rng.choice(["list", "dict", "scalar"])
            v = [] if kind == "list" else {} if kind == "dict" else value()
            ops.append(("set", name, v))
            model[name] = kind
        elif r < 0.6:
            ops.append(("append", rng.choice(lists), value()))
        elif r < 0.7:
            ops.append(("insert", rng.choice(lists), rng.randint(0, 3), value()))  # the original breaks on negative ones
        elif r < 0.8:
            ops.append(("pop", rng.choice(lists)))
        elif r < 0.9:
            dicts = [k for k, v in model.items() if v == "dict"] or lists
            name = rng.choice(dicts)
            if model[name] == "dict":
                ops.append(("dset", name, rng.choice("pq"), value()))
        else:
            name = rng.choice(list(model))
            ops.append(("del", name))
            del model[name]
    return ops


def replay(root, ops):
    for op in ops:
        kind, name = op[0], op[1]
        if kind == "set":
            root[name] = op[2]
        elif kind == "append":
            root[name].append(op[2])
        elif kind == "insert":
            root[name].insert(op[2], op[3])
        elif kind == "pop":
            if len(root[name]):
                root[name].pop(0)
        elif kind == "dset":
            root[name][op[2]] = op[3]
        elif kind == "del":
            del root[name]


# The child process replays with the very same function.
REPLAY = inspect.getsource(replay)


def _encode(ops):
    return repr(ops)  # literals only; the child reads it with ast.literal_eval


@pytest.mark.parametrize("seed", range(8))
def test_logs_of_the_original_load_in_laaos(seed, tmp_path, original_laaos):
    ops = random_ops(seed)
    code = (
        "import ast, laaos\n" + REPLAY + "\n" +
        f"ops = ast.literal_eval({_encode(ops)!r})\n"
        "root = laaos.open_file_store('orig', '', prefix='./', truncate=True)\n"
        "replay(root, ops)\nroot.close()\n"
        "print(repr(laaos.safe_load('orig.py')))\n"
    )
    out = run_original(original_laaos, code, tmp_path)
    import ast

    assert laaos.safe_load(tmp_path / "orig.py") == ast.literal_eval(out)


@pytest.mark.parametrize("seed", range(8))
def test_logs_of_laaos_load_in_the_original(seed, tmp_path, original_laaos):
    ops = random_ops(seed + 100)
    root = laaos.open_file_store("ours", "", prefix=f"{tmp_path}/")
    replay(root, ops)
    expected = plain(root)
    root.close()
    out = run_original(original_laaos, "import laaos\nprint(repr(laaos.safe_load('ours.py')))\n", tmp_path)
    import ast

    assert ast.literal_eval(out) == expected == laaos.safe_load(tmp_path / "ours.py")


def test_original_code_runs_unchanged_against_laaos(tmp_path, original_laaos, monkeypatch):
    """The same script, run on the original and on laaos, writes the same log."""
    script = (
        "import laaos, enum\n"
        "class Color(enum.Enum):\n    RED = 1\n"
        "store = laaos.open_file_store('x', suffix='', prefix='./', truncate=True, type_handlers=laaos.DefaultTypeHandlers)\n"
        "store['cfg'] = {'lr': 0.1, 'color': Color.RED}\n"
        "store['l'] = [1, 2]\n"
        "store['l'][-1] = 5\n"
        "store['l'].insert(0, 'z')\n"
        "del store['l'][0]\n"
        "store['s'] = {1}\n"
        "store['s'].add(2)\n"
        "store.close()\n"
    )
    run_original(original_laaos, script, tmp_path)
    theirs = (tmp_path / "x.py").read_text()
    (tmp_path / "x.py").unlink()
    monkeypatch.chdir(tmp_path)
    ns = {}
    exec(compile(script, "<script>", "exec"), ns)  # the test's own script, not a log
    ours = (tmp_path / "x.py").read_text().split("\n", 1)
    assert ours[0].startswith("#laaos:session ")  # a comment line, which the original skips
    assert ours[1] == theirs
