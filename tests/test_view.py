"""The notebook view: ``_repr_html_`` of a loaded log, a live store and a sweep."""

import math
import re
import warnings
from html import unescape
from html.parser import HTMLParser

import pytest

import laaos

HOSTILE_KEYS = ["<script>document.title='pwned'</script>", '"><img src=x onerror="document.title=1">',
                "bell\x07and\x00nul", "right\u202eto-left", "line\nbreak"]
HOSTILE_VALUE = '"><svg onload=alert(1)><script>alert(2)</script>\u2066\x1b[31m'
# What the view is made of: anything else would have been injected by a key or a value.
ELEMENTS = {"div", "span", "table", "tr", "td", "th", "details", "summary", "style", "svg", "g", "polyline"}
ATTRIBUTES = {"class", "colspan", "title", "open", "xmlns", "width", "height", "viewbox", "preserveaspectratio",
              "fill", "stroke", "stroke-width", "stroke-linecap", "vector-effect", "points"}


class Parsed(HTMLParser):
    """The elements, attributes and text of an HTML document."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.texts = [], set(), []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self):
        return "".join(self.texts)


def check_only_the_view(html):
    parsed = Parsed(html)
    assert set(parsed.tags) <= ELEMENTS
    assert parsed.attributes <= ATTRIBUTES
    assert "script" not in parsed.tags and not any(a.startswith("on") for a in parsed.attributes)
    return parsed


def write_log(path, data, *, marks=(), provenance=True):
    with laaos.open_file_store(path.stem, "", prefix=str(path.parent) + "/", truncate=True,
                               provenance=provenance) as store:
        for key, value in data.items():
            store[key] = value
        for label in marks:
            store.mark(label)
    return path


def test_hostile_keys_and_values_show_as_text_and_inject_nothing(tmp_path):
    data = {key: HOSTILE_VALUE for key in HOSTILE_KEYS}
    data["nested"] = {key: [1.0, 2.0] for key in HOSTILE_KEYS}
    data["rows"] = [{key: i, "s": HOSTILE_VALUE} for i, key in enumerate(HOSTILE_KEYS)]
    log = write_log(tmp_path / "run.py", data)
    html = laaos.load(log)._repr_html_()
    parsed = check_only_the_view(html)
    assert "<script>document.title='pwned'</script>" in parsed.text
    assert '"><img src=x onerror="document.title=1">' in parsed.text
    # control and bidirectional characters are shown as escapes, never as themselves
    assert not re.search("[\x00-\x08\x0b-\x1f\u202e\u2066]", html)
    for shown in (r"bell\x07and\x00nul", r"right\u202eto-left", r"line\nbreak", r"\u2066\x1b[31m"):
        assert shown in parsed.text


def test_a_sweep_view_of_hostile_logs_injects_nothing(tmp_path):
    for i, key in enumerate(HOSTILE_KEYS):
        write_log(tmp_path / f"run{i}.py", {"config": {key: HOSTILE_VALUE}, key: [1, 2, 3]})
    (tmp_path / "bad<img onerror=x>.py").write_text("store = {'a': <script>}\n")
    runs = laaos.load_many(str(tmp_path / "*.py"))
    assert len(runs.errors) == 1
    parsed = check_only_the_view(runs._repr_html_())
    assert "<script>document.title='pwned'</script>" in parsed.text
    assert "bad<img onerror=x>.py" in parsed.text


def test_a_long_series_is_drawn_small_and_keeps_its_spike_and_its_figures():
    from laaos._extremes import columns
    from laaos.view import WIDTH, series_cells

    values = [math.sin(i / 5000) for i in range(1_000_000)]
    values[654_321] = 40.0  # one spike among a million points
    svg, stats = series_cells(values)
    assert len(svg.encode()) <= 2048
    assert stats == "n=1000000 last=" + format(values[-1], ".4g") + " min=-1 max=40"
    cols = columns(values, WIDTH)
    assert len(cols) == WIDTH and max(hi for _, hi in cols) == 40.0
    assert re.search(r" \d+,1[ \"]", svg)  # the spike reaches the top of the drawing


def test_nan_and_infinities_are_gaps_and_other_lists_are_not_drawn():
    from laaos.view import series_cells

    svg, stats = series_cells([1.0, math.nan, 3.0, math.inf, 2.0])
    assert stats == "n=5 last=2 min=1 max=3 (2 NaN/inf)"
    assert svg.count("<polyline") == 3  # three points apart: three dots
    assert series_cells([1, "a", 2]) is None
    assert series_cells(["a", "b"]) is None
    assert series_cells([1, None]) is None
    assert series_cells([[1], [2]]) is None
    assert series_cells([math.nan, math.nan])[0] == ""


def test_a_log_shows_its_tree_series_fields_sessions_and_marks(tmp_path):
    log = write_log(tmp_path / "run.py", {
        "config": {"lr": 0.1, "model": "mlp", "layers": [64, 64]},
        "losses": [1.0, 0.5, 0.25],
        "metrics": [{"step": i, "loss": 1 / (i + 1), "note": "x"} for i in range(10)],
        "tags": {"a", "b"},
    }, marks=["epoch-1"])
    html = laaos.load(log)._repr_html_()
    parsed = check_only_the_view(html)
    assert "n=3 last=0.25 min=0.25 max=1" in parsed.text
    assert "n=10 last=0.1 min=0.1 max=1" in parsed.text  # the loss field of the list of dicts
    assert "n=10 last=9 min=0 max=9" in parsed.text  # its step field
    assert "mlp" in parsed.text and "0.1" in parsed.text
    assert "1 session" in parsed.text and "1 mark" in parsed.text and "epoch-1" in parsed.text
    session = laaos.load(log).sessions[0]
    assert f"{session['user']}@{session['host']}" in parsed.text
    assert html.count("<svg") == 4  # losses, layers, metrics.step and .loss; no drawing of "note"


def test_a_torn_log_says_so(tmp_path):
    log = write_log(tmp_path / "run.py", {"losses": [1.0, 2.0]}, provenance=False)
    tail = "store['losses'].append(3."
    with open(log, "a") as f:
        f.write(tail)
    with pytest.warns(laaos.TornTailWarning):
        result = laaos.load(log)
    parsed = check_only_the_view(result._repr_html_())
    assert f"torn: {len(tail)} bytes dropped from line 3" in parsed.text


def test_a_live_store_and_its_containers(tmp_path):
    with laaos.open_file_store("live", "", prefix=str(tmp_path) + "/", truncate=True) as store:
        store["losses"] = [3, 2, 1]
        store["config"] = {"lr": 0.1}
        html = store._repr_html_()
        assert "n=3 last=1 min=1 max=3" in check_only_the_view(html).text
        inner = check_only_the_view(store["config"]._repr_html_()).text
        assert "store['config'] of the live store on" in inner and "lr0.1" in inner.replace("float", "")
        assert "n=3" in check_only_the_view(store["losses"]._repr_html_()).text
    store_obj = laaos.Store(__import__("io").StringIO())
    store_obj.root["x"] = [1.0]
    assert "n=1 last=1 min=1 max=1" in check_only_the_view(store_obj._repr_html_()).text


def test_a_sweep_is_one_table_with_failed_and_torn_runs_marked(tmp_path):
    for i, lr in enumerate([0.1, 0.01]):
        write_log(tmp_path / f"lr{lr}.py", {"config": {"lr": lr, "seed": i},
                                           "metrics": [{"loss": 1 / (s + 1 + i)} for s in range(5)]})
    torn = write_log(tmp_path / "torn.py", {"config": {"lr": 1.0}, "metrics": [{"loss": 2.0}]})
    with open(torn, "a") as f:
        f.write("store['metrics'].app")
    (tmp_path / "broken.py").write_text("store = {'a': 1}\nstore['a'] +\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", laaos.TornTailWarning)
        runs = laaos.load_many(str(tmp_path / "*.py"))
    html = runs._repr_html_()
    parsed = check_only_the_view(html)
    assert "3 runs, 1 failed, 1 torn" in parsed.text
    rows = re.findall(r"<tr>.*?</tr>", html)
    header = Parsed(rows[0]).texts
    assert header == ["run", "config.lr", "config.seed", "metrics.loss"]
    by_run = {Parsed(row).texts[0]: Parsed(row).texts for row in rows[1:]}
    assert by_run["lr0.1.py"] == ["lr0.1.py", "0.1", "0", "0.2"]
    assert by_run["lr0.01.py"] == ["lr0.01.py", "0.01", "1", "0.1667"]
    assert by_run["torn.py "] == ["torn.py ", "torn (20 bytes dropped)", "1", "2"]
    assert by_run["broken.py"] == ["broken.py", f"failed: UnsafeLogError: {tmp_path / 'broken.py'}:2: operator '+' "
                                                "is not allowed"]
    assert html.count("<svg") == 3


def test_a_log_whose_file_is_gone_still_shows_its_store(tmp_path):
    log = write_log(tmp_path / "run.py", {"losses": [1.0, 0.5]})
    result = laaos.load(log)
    log.unlink()
    parsed = check_only_the_view(result._repr_html_())
    assert "sessions and marks: cannot read the log" in parsed.text and "n=2 last=0.5" in parsed.text


def test_min_and_max_are_of_the_finite_values_and_the_others_are_counted(tmp_path):
    from laaos.view import series_cells

    assert series_cells([1.0, 2.0, math.nan])[1] == "n=3 last=nan min=1 max=2 (1 NaN/inf)"
    assert series_cells([math.inf, 1, -math.inf, 3])[1] == "n=4 last=3 min=1 max=3 (2 NaN/inf)"
    assert series_cells([1.0, 2.0])[1] == "n=2 last=2 min=1 max=2"
    log = write_log(tmp_path / "run.py", {"m": [{"loss": x} for x in (0.5, math.inf, math.nan)]}, provenance=False)
    assert "n=3 last=nan min=0.5 max=0.5 (2 NaN/inf)" in Parsed(laaos.load(log)._repr_html_()).text


def test_counts_of_one_are_singular(tmp_path):
    log = write_log(tmp_path / "run.py", {"one": ["x"], "d": {"k": {}}, "s": set()}, provenance=False)
    text = Parsed(laaos.load(log)._repr_html_()).text
    assert "1 item: x" in text and "dict, 1 key" in text and "0 items" in text
    assert not re.search(r"\b1 (items|keys)\b", text) and "0 items:" not in text
    assert '<div class="m">1 run</div>' in laaos.load_many([str(log)])._repr_html_()


def test_a_value_that_holds_itself_is_shown_as_a_cycle():
    from laaos.view import live_store

    value = {"a": {"b": 1}}
    value["a"]["up"] = value
    text = Parsed(live_store(value, "cyclic")).text
    assert "a cycle" in text and text.count("up") == 1


def test_a_value_that_holds_itself_is_refused_as_such_and_nothing_is_written(tmp_path):
    cyclic = [1]
    cyclic.append(cyclic)
    with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", provenance=False) as store:
        before = (tmp_path / "run.py").read_bytes()
        with pytest.raises(ValueError, match="a value that holds itself .a list inside itself"):
            store["c"] = cyclic
        with pytest.raises(ValueError, match="nested more than 96 levels deep"):
            deep = []
            for _ in range(200):
                deep = [deep]
            store["d"] = deep
        assert (tmp_path / "run.py").read_bytes() == before and "c" not in store


def test_both_backends_draw_the_same_columns_of_any_series():
    """The extension's one pass over a list (or the fields of a list of dicts) against the
    pure twin, on numbers mixed with NaN, infinities, bools, big ints, None and missing
    fields (which the extension hands to the twin)."""
    import random

    from laaos import _backend

    if _backend.cython_impl is None:
        pytest.skip("the extension is not built")
    rng = random.Random(7)
    pool = [rng.random, lambda: rng.randint(-5, 5), lambda: math.nan, lambda: math.inf, lambda: -math.inf,
            lambda: 1, lambda: 1.0, lambda: True, lambda: 2 ** 60, lambda: None, lambda: "a"]

    def shown(results):  # (1 and 1.0, True and 1 are equal: compare what is shown, and the types)
        return [r if r is None else ([(repr(lo), type(lo), repr(hi), type(hi)) for lo, hi in r[0]], r[1],
                                     repr(r[2]), r[3]) for r in results]

    for _ in range(3000):
        n = rng.choice([1, 2, 3, 50, 79, 80, 81, 1000])
        kinds = rng.randint(1, len(pool)) if rng.random() < 0.3 else rng.randint(1, 5)
        values = [[pool[rng.randrange(kinds)]() for _ in range(n)] for _ in range(2)]
        if rng.random() < 0.5:
            items = [{"x": a, "step": i, "y": b} for i, (a, b) in enumerate(zip(*values))]
            if rng.random() < 0.1:
                del items[rng.randrange(n)]["x"]
            fields = ["x", "step", "y"][: rng.randint(1, 3)]
        else:
            items, fields = values[0], [None]
        width = rng.choice([1, 3, 80, 120])
        assert shown(_backend.cython_impl.extremes(items, fields, width)) == \
            shown(_backend.python_impl.extremes(items, fields, width)), (items, fields, width)


def test_a_sweep_of_lists_of_dicts_draws_each_field_and_keeps_every_spike():
    from laaos.many import Loaded

    runs = Loaded()  # (as load_many returns it)
    for i in range(3):
        metrics = [{"step": s, "loss": 1 / (s + 1), "acc": s / 10_000} for s in range(10_000)]
        metrics[1234 * (i + 1)]["loss"] = 50.0  # one spike in each run
        runs[f"/sweep/run{i}.py"] = {"config": {"lr": 0.1 * i}, "metrics": metrics}
    html = runs._repr_html_()
    check_only_the_view(html)
    assert html.count("<svg") == 9  # metrics.step, .loss and .acc of each run
    losses = re.findall(r'<svg[^>]*>.*?</svg>', html)[1::3]
    assert all(re.search(r' \d+,1[ "]', svg) for svg in losses)  # each spike reaches the top
    assert "0.9999" in Parsed(html).text and '<th colspan="2">metrics.acc</th>' in html


def shown_keys(html):
    """The text of each key cell of a view, in order."""
    return [unescape(k) for k in re.findall(r'(?:<td|<summary><span) class="k">([^<]*)<', html)]


def test_keys_that_differ_never_look_alike(tmp_path):
    # as `laaos show` and frame() write them: a plain name as it is, any other key as its repr
    keys = [1, "1", None, "None", "", " ", False, "False", 1.5, "1.5", (1, "a"), "(1, 'a')", "a b", "lr"]
    data = {key: [1.0, 2.0] if i % 2 else "v" for i, key in enumerate(keys)}
    data["rows"] = [{1: 1.0, "1": 2.0, "": "x", " ": "y"}]
    expected = ["1", "'1'", "None", "'None'", "''", "' '", "False", "'False'", "1.5", "'1.5'", "(1, 'a')",
                '"(1, \'a\')"', "'a b'", "lr", "rows", "1", "'1'", "''", "' '"]
    log = write_log(tmp_path / "run.py", data, provenance=False)
    assert shown_keys(laaos.load(log)._repr_html_()) == expected
    with laaos.open_file_store("live", "", prefix=str(tmp_path) + "/", truncate=True) as store:
        for key, value in data.items():
            store[key] = value
        assert shown_keys(store._repr_html_()) == expected
