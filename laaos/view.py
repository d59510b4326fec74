"""The notebook view: a log, a store or a sweep as static HTML with inline SVG sparklines.

What Jupyter shows for ``_repr_html_`` of a ``LoadResult``, a live store and its
containers, and ``load_many``'s result.  A log is untrusted input, so the view is built
to hold nothing but text and drawings: no script, no event handler, no link, nothing
fetched; every key and value goes through ``text`` (escaped for HTML, with control and
bidirectional-override characters shown as ``\\x..``/``\\u....`` escapes, as ``repr``
shows them), a key as a KEY path writes it (``key_html``: ``1`` and ``'1'`` apart).
Long series are drawn from the minimum and maximum of each pixel column, which keeps
every spike and the shape of the curve at a fixed size.
"""

from __future__ import annotations

from html import escape
from typing import Any, Dict, List, Mapping, Optional, Tuple

from . import _backend
from .tidy import NUMBERS, Series, columns_of, field_values, fields_of, is_plain, is_table

WIDTH = 120  # pixel columns of a sparkline (a sweep's are narrower)
HEIGHT = 24
SWEEP_WIDTH = 80
MAX_CHILDREN = 100  # keys of one dict shown, items of a set or list previewed
MAX_SHOWN_DEPTH = 12  # levels of nesting shown (the format's own limits: laaos._limits)
MAX_REPR = 120  # characters of one value's repr
MAX_COLUMNS = 60  # config columns of a sweep table (and as many series)
MAX_RUNS = 2000  # rows of a sweep table
SCALARS = (int, float, str, bool, type(None), bytes, complex)  # shown in a tree as their repr
MAX_RECORDS = 20  # latest sessions and marks of a log

STYLE = (
    "<style>.laaos-view{font:12px/1.4 ui-monospace,monospace;text-align:left}"
    ".laaos-view table{border-collapse:collapse}"
    ".laaos-view td,.laaos-view th{padding:1px 6px;text-align:left;vertical-align:middle;"
    "border-bottom:1px solid rgba(128,128,128,.25)}"
    ".laaos-view details{margin-left:1em}.laaos-view .k{font-weight:bold}"
    ".laaos-view .m{opacity:.65}.laaos-view .bad{color:#c00;font-weight:bold}"
    ".laaos-view svg{vertical-align:middle}</style>"
)


# ---- text ---------------------------------------------------------------------------------


def text(value: Any, limit: int = MAX_REPR) -> str:
    """``value`` as escaped HTML text: a str as itself when every character is
    printable, else (and any other value) as its ``repr``, which escapes control,
    bidirectional and other invisible characters; cut to ``limit`` characters."""
    if type(value) is str and value.isprintable():
        shown = value
    elif type(value) is float:
        shown = format(value, ".6g")
    else:
        try:
            shown = repr(value)
        except Exception as e:  # (an exposed type's broken __repr__ must not break the view)
            shown = f"<unprintable {type(value).__name__}: {type(e).__name__}>"
    if len(shown) > limit:
        shown = shown[: limit - 1] + "\u2026"
    return escape(shown, quote=True)


def key_html(key: Any) -> str:
    """A key as escaped HTML text, written as ``laaos show`` and the KEY paths write it, so
    that no two keys look alike: a plain name as it is, any other key as its repr (``1``
    and ``'1'``, ``None`` and ``'None'``, ``''`` and ``' '``)."""
    if is_plain(key):
        return text(str(key))
    try:
        return text(repr(key))
    except Exception:  # (a broken __repr__ of a plain value given to the view: text names it)
        return text(key)


def number(value: Any) -> str:
    """A number as short escaped text (floats to 4 significant digits)."""
    if type(value) is float:
        return escape(format(value, ".4g"))
    return text(value, 24)


# ---- sparklines ---------------------------------------------------------------------------


_LINE = 'vector-effect="non-scaling-stroke"'  # (the viewBox is stretched: keep the line thin)
_DOT = 'stroke-linecap="round" stroke-width="3"'


def sparkline(cols: List[Tuple[Any, Any]], width: int = WIDTH, height: int = HEIGHT) -> str:
    """An inline SVG of a series' columns (``columns``): a line through each column's
    least and greatest value, the y axis from the series' minimum to its maximum; a
    column without a finite number is a gap."""
    finite = [c for c in cols if c[0] is not None]
    if not finite:
        return ""
    low = min(c[0] for c in finite)
    high = max(c[1] for c in finite)
    scale = 98 / (high - low) if high != low else 0.0  # y in 0..100 (the viewBox), 1 of margin
    pieces: List[List[str]] = [[]]
    previous = 50
    for x, (lo, hi) in enumerate(cols):
        if lo is None:
            pieces.append([])
            continue
        y_lo = round(99 - (lo - low) * scale) if scale else 50
        y_hi = round(99 - (hi - low) * scale) if scale else 50
        if y_lo != y_hi and abs(y_hi - previous) < abs(y_lo - previous):
            y_lo, y_hi = y_hi, y_lo  # the end nearer the previous point first: no zigzag
        pieces[-1].append(f"{x},{y_lo}" if y_lo == y_hi else f"{x},{y_lo} {x},{y_hi}")
        previous = y_hi
    marks = []
    for piece in pieces:
        points = " ".join(piece)
        if " " in points:
            marks.append(f'<polyline {_LINE} points="{points}"/>')
        elif points:  # one point alone: a dot
            x, y = points.split(",")
            marks.append(f'<polyline {_LINE} points="{x},{y} {x},{y}" {_DOT}/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="-1 0 {max(len(cols) + 1, 2)} 100" preserveAspectRatio="none">'
        '<g fill="none" stroke="currentColor" stroke-width="1.2">'
        f"{''.join(marks)}</g></svg>"
    )


def series_cells(values: List[Any], width: int = WIDTH) -> Optional[Tuple[str, str]]:
    """``(svg, "n=... last=... min=... max=...")`` for a numeric series, else None."""
    return _cells(_backend.impl.extremes(values, [None], width)[0], width)


def _cells(drawn: Any, width: int) -> Optional[Tuple[str, str]]:
    """The sparkline and figures of a series' ``extremes``: min and max are of its finite
    values (those drawn); its NaN and infinities, if any, are counted after them."""
    if drawn is None:
        return None
    cols, n, last, non_finite = drawn
    finite = [c for c in cols if c[0] is not None]
    low = min(c[0] for c in finite) if finite else None
    high = max(c[1] for c in finite) if finite else None
    stats = (f"n={n} last={number(last)} "
             f"min={number(low) if low is not None else '-'} max={number(high) if high is not None else '-'}")
    if non_finite:
        stats += f" ({non_finite} NaN/inf)"
    return sparkline(cols, width), stats


# ---- a tree of keys -----------------------------------------------------------------------


def tree(value: Any, depth: int = 0) -> str:
    """The HTML of a store's value: a dict as a tree of its keys, a numeric series as a
    sparkline and its figures, a list of dicts as its fields, anything else as its repr."""
    if type(value) is dict:
        return _dict_rows(value, depth, (id(value),))
    return f"<table>{_value_row('store', value, depth, ())}</table>"


def _dict_rows(value: Dict[Any, Any], depth: int, enclosing: Tuple[int, ...]) -> str:
    out = ["<table>"]
    for i, (key, child) in enumerate(value.items()):
        if i == MAX_CHILDREN:
            out.append(f'<tr><td class="m" colspan="3">\u2026 {_count(len(value) - i, "more key")}</td></tr>')
            break
        out.append(_value_row(key, child, depth, enclosing))
    out.append("</table>")
    return "".join(out)


def _value_row(key: Any, value: Any, depth: int, enclosing: Tuple[int, ...]) -> str:
    """A key's row; ``enclosing`` holds the ids of the dicts it is in (a plain value
    given to the view may hold itself: shown as such, not as a tree without end)."""
    k = f'<td class="k">{key_html(key)}</td>'
    if type(value) is dict:
        if id(value) in enclosing:
            cycle = "{...} (a cycle: a dict that holds this one)"
            return f'<tr>{k}<td class="m">dict</td><td class="m">{escape(cycle)}</td></tr>'
        if depth >= MAX_SHOWN_DEPTH or not value:
            return f'<tr>{k}<td class="m">dict</td><td>{_count(len(value), "key")}</td></tr>'
        inner = _dict_rows(value, depth + 1, enclosing + (id(value),))
        return (f'<tr><td colspan="3"><details open><summary><span class="k">{key_html(key)}</span> '
                f'<span class="m">dict, {_count(len(value), "key")}</span></summary>{inner}</details></td></tr>')
    if isinstance(value, SCALARS):
        return f'<tr>{k}<td class="m">{escape(type(value).__name__)}</td><td>{text(value)}</td></tr>'
    if type(value) is list and value:
        cells = series_cells(value)
        if cells is not None:
            svg, stats = cells
            return f'<tr>{k}<td>{svg}</td><td>{stats}</td></tr>'
        if is_table(value) and all(type(r) is dict for r in value):
            return (f'<tr><td colspan="3"><details open><summary><span class="k">{key_html(key)}</span> '
                    f'<span class="m">list of {len(value)} dicts</span></summary>{_fields(value)}'
                    "</details></td></tr>")
    return f'<tr>{k}<td class="m">{escape(type(value).__name__)}</td><td>{_preview(value)}</td></tr>'


def _fields(rows: List[dict]) -> str:
    out = ["<table>"]
    every = fields_of(rows)
    fields = every[:MAX_CHILDREN]
    last = rows[-1]
    numeric = [f for f in fields if isinstance(last.get(f), NUMBERS)]  # (drawn in one pass)
    drawn = dict(zip(numeric, _backend.impl.extremes(rows, numeric, WIDTH)))
    for field in fields:
        one = drawn[field] if field in drawn else _backend.impl.extremes(rows, [field], WIDTH)[0]
        cells = _cells(one, WIDTH)
        if cells is not None:
            out.append(f'<tr><td class="k">{key_html(field)}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>')
        else:
            values = field_values(rows, field)
            out.append(f'<tr><td class="k">{key_html(field)}</td><td class="m">{_count(len(values), "value")}</td>'
                       f"<td>{_preview(values)}</td></tr>")
    more = len(every) - len(fields)
    if more:
        out.append(f'<tr><td class="m" colspan="3">\u2026 {_count(more, "more field")}</td></tr>')
    out.append("</table>")
    return "".join(out)


def _preview(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)[:5] if not isinstance(value, (list, tuple)) else value[:5]
        more = f", \u2026 {len(value) - len(items)} more" if len(value) > len(items) else ""
        shown = f": {', '.join(text(v, 40) for v in items)}{escape(more)}" if items else ""
        return f"{_count(len(value), 'item')}{shown}"
    return text(value)


# ---- a log --------------------------------------------------------------------------------


def load_result(result: Any) -> str:
    """A loaded log: what the loader found, its sessions and marks, and the store's tree."""
    facts = [_count(result.statements, "statement"), _count(result.size, "byte")]
    if result.torn:
        facts.append(f'<span class="bad">torn: {_count(result.dropped_bytes, "byte")} dropped '
                     f"from line {result.tail_line}</span>")
    if result.skipped:
        facts.append(f'<span class="bad">{_count(len(result.skipped), "statement")} skipped</span>')
    if result.keys is not None:
        facts.append(f"partial load of {_count(len(result.keys), 'key')}")
    facts_html = ", ".join(facts)
    head = f'<div><span class="k">{text(result.path, 400)}</span> <span class="m">{facts_html}</span></div>'
    return f'<div class="laaos-view">{STYLE}{head}{records(result)}{tree(result.store)}</div>'


def records(result: Any) -> str:
    """The log's sessions (where and when each writer ran) and marks, the latest first."""
    try:
        sessions, marks = result.sessions, result.marks
    except OSError as e:  # (the file was moved or deleted since it was loaded)
        return f'<div class="m">sessions and marks: cannot read the log ({text(e)})</div>'
    out = []
    if sessions:
        rows = []
        for r in sessions[::-1][:MAX_RECORDS]:
            i = r.info
            git = i.get("git") if isinstance(i.get("git"), dict) else {}
            commit = str(git.get("commit") or "")[:12] + (" dirty" if git.get("dirty") else "")
            argv = i.get("argv", "")
            if isinstance(argv, list):
                argv = " ".join(map(str, argv))
            where = f"{text(i.get('user', ''))}@{text(i.get('host', ''))}"
            rows.append(f"<tr><td>{r.line}</td><td>{text(i.get('time', ''))}</td><td>{where}</td>"
                        f"<td>{text(i.get('pid', ''))}</td><td>{text(commit)}</td><td>{text(argv)}</td></tr>")
        more = f" (the latest {MAX_RECORDS} of {len(sessions)})" if len(sessions) > MAX_RECORDS else ""
        title = _count(len(sessions), "session")
        out.append(f"<details><summary>{title}{more}</summary><table><tr><th>line</th><th>time</th>"
                   "<th>where</th><th>pid</th><th>git</th><th>command</th></tr>"
                   f"{''.join(rows)}</table></details>")
    if marks:
        rows = [f"<tr><td>{r.line}</td><td>{text(r.kind)}</td><td>{text(r.label)}</td>"
                f"<td>{text(r.info.get('time', ''))}</td></tr>" for r in marks[::-1][:MAX_RECORDS]]
        more = f" (the latest {MAX_RECORDS} of {len(marks)})" if len(marks) > MAX_RECORDS else ""
        title = _count(len(marks), "mark")
        out.append(f"<details><summary>{title}{more}</summary><table><tr><th>line</th><th>kind</th>"
                   f"<th>label</th><th>time</th></tr>{''.join(rows)}</table></details>")
    return "".join(out)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def live_store(value: Any, title: str) -> str:
    """A live store or one of its containers (given as plain data)."""
    head = f'<div class="m">{text(title, 400)}</div>'
    return f'<div class="laaos-view">{STYLE}{head}{tree(value)}</div>'


# ---- a sweep ------------------------------------------------------------------------------


def sweep(runs: Mapping[str, Any], errors: Mapping[str, BaseException], torn: Mapping[str, int]) -> str:
    """A sweep as one table, a row per run: its name, its config (every single value by
    its KEY path), and each numeric series' last value and sparkline; failed and torn logs
    marked."""
    rows: List[Tuple[str, Dict[str, Any], Dict[str, Series]]] = []
    scalar_names: Dict[str, None] = {}
    series_names: Dict[str, None] = {}
    for path, store_ in list(runs.items())[:MAX_RUNS]:
        scalars: Dict[str, Any] = {}
        series: Dict[str, Series] = {}
        for name, value in columns_of(store_).items():
            (series if type(value) is Series else scalars)[name] = value
        scalar_names.update(dict.fromkeys(scalars))
        series_names.update(dict.fromkeys(series))
        rows.append((path, scalars, series))
    shown_scalars = list(scalar_names)[:MAX_COLUMNS]
    shown_series = list(series_names)[:MAX_COLUMNS]
    shown_paths = list(runs)[:MAX_RUNS]
    names = dict(zip(shown_paths + list(errors), _short_names(shown_paths + list(errors))))
    head = "".join(f"<th>{text(n)}</th>" for n in shown_scalars) + "".join(
        f'<th colspan="2">{text(n)}</th>' for n in shown_series)
    out = [f'<div class="laaos-view">{STYLE}<div class="m">{_count(len(runs), "run")}',
           f", {len(errors)} failed" if errors else "", f", {len(torn)} torn" if torn else "",
           "</div><table><tr><th>run</th>", head, "</tr>"]
    for path, scalars, series in rows:
        mark = f' <span class="bad">torn ({_count(torn[path], "byte")} dropped)</span>' if path in torn else ""
        cells = [f'<tr><td class="k" title="{text(path, 400)}">{text(names[path])}{mark}</td>']
        cells.extend(f"<td>{text(scalars[n], 40)}</td>" if n in scalars else "<td></td>"
                     for n in shown_scalars)
        drawn = _drawn_series(series, shown_series)
        for n in shown_series:
            d = drawn.get(n)
            if d is None:
                cells.append("<td></td><td></td>")
            else:
                cells.append(f"<td>{number(d[2])}</td><td>{sparkline(d[0], SWEEP_WIDTH)}</td>")
        cells.append("</tr>")
        out.append("".join(cells))
    span = len(shown_scalars) + 2 * len(shown_series) or 1
    for path, error in errors.items():
        out.append(f'<tr><td class="k" title="{text(path, 400)}">{text(names[path])}</td>'
                   f'<td class="bad" colspan="{span}">failed: {text(type(error).__name__)}: '
                   f"{text(str(error), 300)}</td></tr>")
    out.append("</table>")
    left = [_count(len(runs) - MAX_RUNS, "more run")] if len(runs) > MAX_RUNS else []
    if len(scalar_names) > MAX_COLUMNS:
        left.append(_count(len(scalar_names) - MAX_COLUMNS, "more config column"))
    if len(series_names) > MAX_COLUMNS:
        left.append(f"{len(series_names) - MAX_COLUMNS} more series")
    if left:
        out.append(f'<div class="m">not shown: {escape(", ".join(left))} (.frame() has them all)</div>')
    out.append("</div>")
    return "".join(out)


def _drawn_series(series: Dict[str, Series], names: List[str]) -> Dict[str, Any]:
    """``{name: extremes}`` of a run's series shown in the table: the fields of one list
    of dicts in one call (one pass over the dicts)."""
    lists: Dict[int, Tuple[List[Any], List[Any], List[str]]] = {}
    for name in names:
        s = series.get(name)
        if s is not None:
            entry = lists.setdefault(id(s.items), (s.items, [], []))
            entry[1].append(s.field)
            entry[2].append(name)
    drawn: Dict[str, Any] = {}
    for items, fields, shown in lists.values():
        drawn.update(zip(shown, _backend.impl.extremes(items, fields, SWEEP_WIDTH)))
    return drawn


def _short_names(paths: List[str]) -> List[str]:
    """The runs' paths without the folder they all share."""
    import os.path

    if len(paths) < 2:
        return [os.path.basename(p) or p for p in paths]
    try:
        common = os.path.commonpath(paths)
    except ValueError:  # (absolute and relative paths, or several drives)
        common = ""
    cut = len(common) + 1 if common else 0
    return [p[cut:] or p for p in paths]
