"""The notebook view: a log, a store or a sweep as static HTML with inline SVG sparklines.

What Jupyter shows for ``_repr_html_`` of a ``LoadResult``, a live store and its
containers, and ``load_many``'s result.  A log is untrusted input, so the view is built
to hold nothing but text and drawings: no script, no event handler, no link, nothing
fetched; every key and value goes through ``text`` (escaped for HTML, with control and
bidirectional-override characters shown as ``\\x..``/``\\u....`` escapes, as ``repr``
shows them).  Long series are drawn from the minimum and maximum of each pixel column,
which keeps every spike and the shape of the curve at a fixed size.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .tidy import NUMBERS, Series, columns_of, field_values, fields_of, is_table

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


def number(value: Any) -> str:
    """A number as short escaped text (floats to 4 significant digits)."""
    if type(value) is float:
        return escape(format(value, ".4g"))
    return text(value, 24)


# ---- sparklines ---------------------------------------------------------------------------


def _finite(values: List[Any]) -> Tuple[Optional[float], Optional[float]]:
    """The least and greatest finite numbers of ``values`` (None, None if none)."""
    kept = [v for v in values if v == v and v not in (math.inf, -math.inf)]
    return (min(kept), max(kept)) if kept else (None, None)


def columns(values: List[Any], width: int) -> Optional[List[Tuple[Any, Any]]]:
    """``(least, greatest)`` finite value of each of ``width`` pixel columns of a series
    (one column per item when it has fewer), with ``(None, None)`` for a column without a
    finite number; ``None`` when the series is not all numbers."""
    n = len(values)
    cols = min(n, width)
    out: List[Tuple[Any, Any]] = []
    start = 0
    try:
        for c in range(cols):
            end = (c + 1) * n // cols
            if end - start == 1:
                lo = hi = values[start]
                if not isinstance(lo, NUMBERS):
                    return None
            else:
                part = values[start:end]
                lo, hi = min(part), max(part)
                if not (isinstance(lo, NUMBERS) and isinstance(hi, NUMBERS)):
                    return None  # (strings, lists, tuples compare among themselves)
            # NaN and infinities would stretch or break the scale: drawn as gaps
            if lo != lo or hi != hi or lo in (math.inf, -math.inf) or hi in (math.inf, -math.inf):
                lo, hi = _finite(values[start:end])
            out.append((lo, hi))
            start = end
    except TypeError:  # numbers mixed with None, str, ...
        return None
    return out


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
    cols = columns(values, width)
    if cols is None:
        return None
    finite = [c for c in cols if c[0] is not None]
    low = min(c[0] for c in finite) if finite else None
    high = max(c[1] for c in finite) if finite else None
    stats = (f"n={len(values)} last={number(values[-1])} "
             f"min={number(low) if low is not None else '-'} max={number(high) if high is not None else '-'}")
    return sparkline(cols, width), stats


# ---- a tree of keys -----------------------------------------------------------------------


def tree(value: Any, depth: int = 0) -> str:
    """The HTML of a store's value: a dict as a tree of its keys, a numeric series as a
    sparkline and its figures, a list of dicts as its fields, anything else as its repr."""
    if type(value) is dict:
        return _dict_rows(value, depth)
    return f"<table>{_value_row('store', value, depth)}</table>"


def _dict_rows(value: Dict[Any, Any], depth: int) -> str:
    out = ["<table>"]
    for i, (key, child) in enumerate(value.items()):
        if i == MAX_CHILDREN:
            out.append(f'<tr><td class="m" colspan="3">\u2026 {len(value) - i} more keys</td></tr>')
            break
        out.append(_value_row(key, child, depth))
    out.append("</table>")
    return "".join(out)


def _value_row(key: Any, value: Any, depth: int) -> str:
    k = f'<td class="k">{text(key)}</td>'
    if type(value) is dict:
        if depth >= MAX_SHOWN_DEPTH or not value:
            return f'<tr>{k}<td class="m">dict</td><td>{len(value)} keys</td></tr>'
        inner = _dict_rows(value, depth + 1)
        return (f'<tr><td colspan="3"><details open><summary><span class="k">{text(key)}</span> '
                f'<span class="m">dict, {len(value)} keys</span></summary>{inner}</details></td></tr>')
    if isinstance(value, SCALARS):
        return f'<tr>{k}<td class="m">{escape(type(value).__name__)}</td><td>{text(value)}</td></tr>'
    if type(value) is list and value:
        cells = series_cells(value)
        if cells is not None:
            svg, stats = cells
            return f'<tr>{k}<td>{svg}</td><td>{stats}</td></tr>'
        if is_table(value) and all(type(r) is dict for r in value):
            return (f'<tr><td colspan="3"><details open><summary><span class="k">{text(key)}</span> '
                    f'<span class="m">list of {len(value)} dicts</span></summary>{_fields(value)}'
                    "</details></td></tr>")
    return f'<tr>{k}<td class="m">{escape(type(value).__name__)}</td><td>{_preview(value)}</td></tr>'


def _fields(rows: List[dict]) -> str:
    out = ["<table>"]
    fields = fields_of(rows)
    for i, field in enumerate(fields):
        if i == MAX_CHILDREN:
            out.append(f'<tr><td class="m" colspan="3">\u2026 {len(fields) - i} more fields</td></tr>')
            break
        values = field_values(rows, field)
        cells = series_cells(values) if values else None
        if cells is not None:
            out.append(f'<tr><td class="k">{text(field)}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>')
        else:
            out.append(f'<tr><td class="k">{text(field)}</td><td class="m">{len(values)} values</td>'
                       f"<td>{_preview(values)}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _preview(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)[:5] if not isinstance(value, (list, tuple)) else value[:5]
        more = f", \u2026 {len(value) - len(items)} more" if len(value) > len(items) else ""
        return f"{len(value)} items: {', '.join(text(v, 40) for v in items)}{escape(more)}"
    return text(value)


# ---- a log --------------------------------------------------------------------------------


def load_result(result: Any) -> str:
    """A loaded log: what the loader found, its sessions and marks, and the store's tree."""
    facts = [f"{result.statements} statements", f"{result.size} bytes"]
    if result.torn:
        facts.append(f'<span class="bad">torn: {result.dropped_bytes} bytes dropped '
                     f"from line {result.tail_line}</span>")
    if result.skipped:
        facts.append(f'<span class="bad">{len(result.skipped)} statements skipped</span>')
    if result.keys is not None:
        facts.append(f"partial load of {len(result.keys)} keys")
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
    rows: List[Tuple[str, Dict[str, Any], Dict[str, List[Any]]]] = []
    scalar_names: Dict[str, None] = {}
    series_names: Dict[str, None] = {}
    for path, store_ in list(runs.items())[:MAX_RUNS]:
        scalars: Dict[str, Any] = {}
        series: Dict[str, List[Any]] = {}
        for name, value in columns_of(store_).items():
            if type(value) is Series:
                series[name] = value.values()
            else:
                scalars[name] = value
        scalar_names.update(dict.fromkeys(scalars))
        series_names.update(dict.fromkeys(series))
        rows.append((path, scalars, series))
    shown_scalars = list(scalar_names)[:MAX_COLUMNS]
    shown_series = list(series_names)[:MAX_COLUMNS]
    shown_paths = list(runs)[:MAX_RUNS]
    names = dict(zip(shown_paths + list(errors), _short_names(shown_paths + list(errors))))
    head = "".join(f"<th>{text(n)}</th>" for n in shown_scalars) + "".join(
        f'<th colspan="2">{text(n)}</th>' for n in shown_series)
    out = [f'<div class="laaos-view">{STYLE}<div class="m">{len(runs)} runs',
           f", {len(errors)} failed" if errors else "", f", {len(torn)} torn" if torn else "",
           "</div><table><tr><th>run</th>", head, "</tr>"]
    for path, scalars, series in rows:
        mark = f' <span class="bad">torn ({torn[path]} bytes dropped)</span>' if path in torn else ""
        cells = [f'<tr><td class="k" title="{text(path, 400)}">{text(names[path])}{mark}</td>']
        cells.extend(f"<td>{text(scalars[n], 40)}</td>" if n in scalars else "<td></td>"
                     for n in shown_scalars)
        for n in shown_series:
            values = series.get(n)
            drawn = series_cells(values, SWEEP_WIDTH) if values else None
            if drawn is None:
                cells.append("<td></td><td></td>")
            else:
                cells.append(f"<td>{number(values[-1])}</td><td>{drawn[0]}</td>")
        cells.append("</tr>")
        out.append("".join(cells))
    span = len(shown_scalars) + 2 * len(shown_series) or 1
    for path, error in errors.items():
        out.append(f'<tr><td class="k" title="{text(path, 400)}">{text(names[path])}</td>'
                   f'<td class="bad" colspan="{span}">failed: {text(type(error).__name__)}: '
                   f"{text(str(error), 300)}</td></tr>")
    out.append("</table>")
    left = [f"{len(runs) - MAX_RUNS} more runs"] if len(runs) > MAX_RUNS else []
    if len(scalar_names) > MAX_COLUMNS:
        left.append(f"{len(scalar_names) - MAX_COLUMNS} more config columns")
    if len(series_names) > MAX_COLUMNS:
        left.append(f"{len(series_names) - MAX_COLUMNS} more series")
    if left:
        out.append(f'<div class="m">not shown: {escape(", ".join(left))} (.frame() has them all)</div>')
    out.append("</div>")
    return "".join(out)


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
