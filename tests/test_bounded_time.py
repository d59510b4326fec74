"""A hostile log costs bounded time: keys whose hashes collide, and replays that move
whole lists, are refused with ``LogLimitError`` (naming the file, the line and the option
that allows more) before they cost quadratic time.

The quick tests count the work (a lowered limit, a known line); the slow ones load the
full-size logs under a time bound.  Every test runs on both backends.
"""

import sys
import time

import pytest

import laaos
from laaos.cli import main

P = sys.hash_info.modulus  # every multiple of it hashes to 0
FLOOD = [P * (i + 1) for i in range(400)]  # distinct ints, one hash
assert len({hash(k) for k in FLOOD}) == 1


def write(tmp_path, text, name="run.py"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def refused(path, line, option, **limits):
    """Load ``path``: it must stop at ``line`` with a message naming ``option``."""
    with pytest.raises(laaos.LogLimitError) as e:
        laaos.load(path, **limits)
    assert e.value.path == path and e.value.line == line
    assert str(e.value).startswith(f"{path}:{line}: ") and f"{option}=" in str(e.value)
    return e.value


# ---- keys that share one hash -----------------------------------------------------------


FLOODS = {
    "item sets": lambda keys: "store['d'] = {}\n" + "".join(f"store['d'][{k}] = 0\n" for k in keys),
    "set adds": lambda keys: "store['s'] = set()\n" + "".join(f"store['s'].add({k})\n" for k in keys),
    "tuple keys": lambda keys: "store['d'] = {}\n" + "".join(f"store['d'][({k}, 'x')] = 0\n" for k in keys),
    "nested item sets": lambda keys: "store['a'] = [{'d': {}}]\n"
    + "".join(f"store['a'][0]['d'][{k}] = 0\n" for k in keys),
}


@pytest.mark.parametrize("flood", list(FLOODS))
def test_keys_sharing_a_hash_are_refused_at_the_first_one_past_the_limit(tmp_path, flood):
    # line 1: store = {}, line 2: the container, line 3 + i: the i-th key (from 0)
    path = write(tmp_path, "store = {}\n" + FLOODS[flood](FLOOD[:12]) + "store['after'] = 1\n")
    error = refused(path, 3 + 10, "max_equal_hashes", max_equal_hashes=10)
    assert "more than 10" in error.message and "share one hash" in error.message
    assert error.construct == "equal hashes"
    store = laaos.load(path, max_equal_hashes=12).store  # the option allows more
    assert store["after"] == 1
    # with skip_errors the keys past the limit are left out, the rest is loaded
    result = laaos.load(path, max_equal_hashes=10, skip_errors=True)
    assert [line for line, _ in result.skipped] == [13, 14]
    store = result.store
    container = store["a"][0]["d"] if "a" in store else store.get("d", store.get("s"))
    assert len(container) == 10 and store["after"] == 1


UPDATES = {
    "dict update": lambda keys: "store['d'].update({" + ", ".join(f"{k}: 0" for k in keys) + "})",
    "set update": lambda keys: "store['s'].update({" + ", ".join(str(k) for k in keys) + "})",
    "set symmetric difference": lambda keys: "store['s'].symmetric_difference_update({"
    + ", ".join(str(k) for k in keys) + "})",
}


@pytest.mark.parametrize("update", list(UPDATES))
def test_an_update_is_counted_as_the_item_sets_and_adds_it_makes(tmp_path, update):
    """Each update literal is within the limit; what they add to one container is not."""
    head = "store = {'d': {}, 's': set()}\n"
    path = write(tmp_path, head + "".join(UPDATES[update](FLOOD[i:i + 6]) + "\n" for i in (0, 6)) + "store['x'] = 1\n")
    error = refused(path, 3, "max_equal_hashes", max_equal_hashes=10)
    assert "share one hash" in error.message
    assert laaos.load(path, max_equal_hashes=12).store["x"] == 1


def test_the_default_limit_refuses_a_flood_of_item_sets(tmp_path):
    path = write(tmp_path, "store = {}\n" + FLOODS["item sets"](FLOOD))
    refused(path, 3 + laaos._limits.MAX_EQUAL_HASHES, "max_equal_hashes")


LITERALS = {
    "dict": lambda keys: "{" + ", ".join(f"{k}: 0" for k in keys) + "}",
    "set": lambda keys: "{" + ", ".join(str(k) for k in keys) + "}",
    "set call": lambda keys: "set([" + ", ".join(str(k) for k in keys) + "])",
    "tuple keys": lambda keys: "{" + ", ".join(f"({k},): 0" for k in keys) + "}",
    "float keys": lambda keys: "{" + ", ".join(f"{float(2 ** (61 * i))!r}: 0" for i in range(len(keys))) + "}",
}


@pytest.mark.parametrize("literal", list(LITERALS))
@pytest.mark.parametrize("where", ["store['x'] = {}", "store['l'].append({})", "store = {{'x': {}}}"])
def test_one_literal_whose_keys_share_a_hash_is_refused(tmp_path, literal, where):
    value = LITERALS[literal](FLOOD[:12])
    path = write(tmp_path, "store = {}\nstore['l'] = []\n" + where.format(value) + "\n")
    refused(path, 3, "max_equal_hashes", max_equal_hashes=10)
    store = laaos.load(path, max_equal_hashes=12).store
    loaded = store["l"][0] if "append" in where else store["x"]
    assert len(loaded) == 12


def test_floats_share_a_hash_only_far_apart_so_float_keys_load_under_any_limit(tmp_path):
    # what a log of results keyed by threshold or time holds: count collisions, not kinds
    keys = [i / 1000 for i in range(2000)] + [1.7e9 + i * 0.25 for i in range(2000)] + [-1, -2]
    text = "store = {}\nstore['d'] = {}\n" + "".join(f"store['d'][{k!r}] = 0\n" for k in keys)
    text += "store['lit'] = {" + ", ".join(f"{k!r}: 1" for k in keys) + "}\n"
    text += "store['s'] = set()\n" + "".join(f"store['s'].add(({k!r}, {k!r}))\n" for k in keys)
    path = write(tmp_path, text)
    store = laaos.load(path, max_equal_hashes=2).store  # (-1 and -2 share a hash)
    assert len(store["d"]) == len(store["lit"]) == len(store["s"]) == len(keys)


def test_a_key_set_again_or_deleted_and_set_again_counts_once(tmp_path):
    # the same few colliding keys, rewritten each epoch: never a flood
    text = "store = {}\nstore['d'] = {}\nstore['s'] = set()\n"
    for epoch in range(50):
        for k in FLOOD[:3]:
            text += f"store['d'][{k}] = {epoch}\nstore['s'].add({k})\n"
        text += f"del store['d'][{FLOOD[0]}]\nstore['s'].discard({FLOOD[0]})\n"
    text += "store['d'].clear()\n" + "".join(f"store['d'][{k}] = 1\n" for k in FLOOD[:3])
    path = write(tmp_path, text)
    store = laaos.load(path, max_equal_hashes=3).store
    assert sorted(store["d"]) == FLOOD[:3] and store["s"] == set(FLOOD[1:3])


def test_a_dict_grown_by_a_literal_is_counted_when_a_statement_adds_to_it(tmp_path):
    # 8 colliding keys from a literal (within its limit), then statements add more
    literal = "{" + ", ".join(f"{k}: 0" for k in FLOOD[:8]) + "}"
    text = f"store = {{}}\nstore['d'] = {literal}\n" + "".join(f"store['d'][{k}] = 0\n" for k in FLOOD[8:12])
    path = write(tmp_path, text)
    refused(path, 3 + 2, "max_equal_hashes", max_equal_hashes=10)


def test_laaos_check_and_recover_report_a_flood_at_its_line(tmp_path, capsys):
    path = write(tmp_path, "store = {}\n" + FLOODS["set adds"](FLOOD[:101]) + "store['b'] = 2\n")
    code = main(["check", path])
    out = capsys.readouterr().out
    assert code == 1 and f"{path}:103" in out and "share one hash" in out
    assert main(["recover", path]) == 0
    assert len(laaos.safe_load(path)["s"]) == 100


def test_follow_refuses_a_flood_with_the_same_error(tmp_path):
    path = write(tmp_path, "store = {}\n" + FLOODS["item sets"](FLOOD[:101]))
    with pytest.raises(laaos.LogLimitError, match=rf"{path}:103: more than 100 keys"):
        for _ in laaos.follow(path, idle_timeout=0):
            pass


# ---- replays that move whole lists ------------------------------------------------------


def test_front_inserts_stop_when_the_moved_items_pass_the_budget(tmp_path):
    path = write(tmp_path, "store = {}\nstore['l'] = []\n" + "store['l'].insert(0, 0)\n" * 20 + "store['b'] = 1\n")
    # the k-th insert (from 1) moves k - 1 items: 105 > 100 after the 15th, on line 17
    error = refused(path, 17, "max_list_moves", max_list_moves=100)
    assert "more than 100 items" in error.message and error.construct == "list moves"
    assert laaos.load(path, max_list_moves=190).store["l"] == [0] * 20
    result = laaos.load(path, max_list_moves=100, skip_errors=True)
    assert len(result.store["l"]) == 14 and result.store["b"] == 1  # each later one would move 14
    assert [line for line, _ in result.skipped] == list(range(17, 23))


@pytest.mark.parametrize("statement, moves", [
    ("del store['l'][0]", [9, 8, 7, 6]),
    ("del store['l'][-6]", [5, 5, 5, 5]),
    ("store['l'].insert(-3, 0)", [3, 3, 3, 3]),
    ("store['l'].insert(5, 0)", [5, 6, 7, 8]),
    ("store['l'].insert(-99, 0)", [10, 11, 12, 13]),
])
def test_deletes_and_inserts_before_the_end_charge_what_they_move(tmp_path, statement, moves):
    path = write(tmp_path, "store = {}\nstore['l'] = " + repr(list(range(10))) + "\n" + (statement + "\n") * 4)
    total = sum(moves)
    assert len(laaos.load(path, max_list_moves=total).store["l"]) in (6, 14)
    refused(path, 6, "max_list_moves", max_list_moves=total - 1)


def test_appends_and_deletes_at_the_end_move_nothing(tmp_path):
    text = "store = {}\nstore['l'] = []\n"
    for n in range(0, 150, 3):  # n: the list's length
        text += f"store['l'].append(1)\nstore['l'].insert({n + 1}, 2)\nstore['l'].insert(99999, 3)\n"
    text += "del store['l'][-1]\n" * 60 + "store['l'].extend([4, 5])\n"
    store = laaos.load(write(tmp_path, text), max_list_moves=0).store
    assert len(store["l"]) == 150 - 60 + 2


# ---- full size, under a time bound ------------------------------------------------------

SIZES = {
    "260,000 item sets": lambda: "store = {}\n" + FLOODS["item sets"](P * (i + 1) for i in range(260_000)),
    "260,000 set adds": lambda: "store = {}\n" + FLOODS["set adds"](P * (i + 1) for i in range(260_000)),
    "240,000 tuple keys": lambda: "store = {}\nstore['d'] = {}\n"
    + "".join(f"store['d'][({P * (i + 1)},)] = 0\n" for i in range(240_000)),
    "a dict literal of 330,000 keys": lambda: "store = {}\nstore['d'] = {"
    + ", ".join(f"{P * (i + 1)}: 0" for i in range(330_000)) + "}\n",
    "1.66 million front inserts": lambda: "store = {}\nstore['l'] = []\n" + "store['l'].insert(0, 0)\n" * 1_660_000,
}


@pytest.mark.slow
@pytest.mark.parametrize("log", list(SIZES))
def test_a_full_size_hostile_log_is_refused_within_the_time_bound(tmp_path, log):
    path = write(tmp_path, SIZES[log]())
    start = time.perf_counter()
    with pytest.raises(laaos.LogLimitError, match=r"max_(equal_hashes|list_moves)="):
        laaos.load(path)
    assert time.perf_counter() - start < 60


@pytest.mark.slow
def test_many_lists_appended_in_short_runs_load_in_linear_time(tmp_path):
    # each list is created and appended twice: 300,000 lines, 100,000 heads to remember
    text = "store = {}\n" + "".join(
        f"store['k{i}'] = []\nstore['k{i}'].append(0.5)\nstore['k{i}'].append(1.5)\n" for i in range(100_000)
    )
    path = write(tmp_path, text)
    start = time.perf_counter()
    store = laaos.safe_load(path)
    assert time.perf_counter() - start < 60
    assert len(store) == 100_000 and store["k99999"] == [0.5, 1.5]
