"""The notebook view: ``_repr_html_`` of a loaded log, a live store and a sweep."""

import math
import re
import warnings
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
    from laaos.view import WIDTH, columns, series_cells

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
    assert stats == "n=5 last=2 min=1 max=3"
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
