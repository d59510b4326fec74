"""``laaos compare``: a table of runs, one row each: by default the values that differ
between them (``config.lr``) and, for each numeric series, its last value and length;
``-k KEY`` picks the columns instead.  As a table for people (cut to the terminal's
width), or whole as CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .._json import json_default, to_json
from ..tidy import NUMBERS, split
from .columns import differ, run_names
from .escaping import one_line
from .failures import CommandError, UsageError
from .keys import parse_key_path, select
from .logfiles import log_paths
from .manylogs import load_runs, top_keys
from .show import short


class _Missing:
    """The cell of a key that a run does not have: empty.  One object, also after a
    trip through a worker process (it pickles as the name ``MISSING``)."""

    def __reduce__(self) -> str:
        return "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
CELL_WIDTH = 40  # the widest cell of a table (longer ones are cut with "...")
_LEN = re.compile(r"len\((.*)\)\Z", re.S)  # (`len()` too: an empty KEY, refused as one)


def column_key(name: str) -> Tuple[bool, str]:
    """``(is_len, KEY)`` of a column name: ``len(KEY)`` is the length of KEY's value."""
    m = _LEN.match(name)
    return (True, m.group(1)) if m else (False, name)


def value_at(store: Any, name: str) -> Any:
    """The value of the column ``name`` (a KEY path, or ``len(KEY)``) in ``store``;
    ``MISSING`` where the run does not have it."""
    is_len, key = column_key(name)
    try:
        value = select(store, [key])
    except CommandError:
        return MISSING
    if is_len:
        try:
            return len(value)
        except TypeError:
            return MISSING
    return value


class Row:
    """What ``compare`` shows of one run, worked out where the log is loaded (a worker
    process of ``load_many``), so that only this travels back, not the store: the picked
    ``cells`` (``-k``), or the run's single ``values``, the last value of each numeric
    series (``series``) and the lengths of the lists that hold them; and the value to
    sort by (``sort``)."""

    def __init__(self, store: Any, picked: Sequence[str], sort: Optional[str]) -> None:
        self.cells = {n: value_at(store, n) for n in picked}
        self.values: Dict[str, Any] = {}
        self.series: Dict[str, Any] = {}
        if not picked:
            self.values, series = split(store)
            for name, s in series.items():
                self.series[name] = s.last
                self.cells[f"len({s.list_key})"] = len(s.items)
        self.sort = value_at(store, sort) if sort else MISSING


def row_of(picked: Sequence[str], sort: Optional[str], store: Any) -> Row:
    """``Row(store, picked, sort)``: the ``select=`` of ``load_many`` (with
    ``functools.partial``, which pickles for a process pool)."""
    return Row(store, picked, sort)


def default_columns(runs: Sequence[Row]) -> Tuple[List[str], List[Dict[str, Any]]]:
    """The columns of ``compare`` without ``-k`` and each run's cells: the single values
    that differ between the runs (all of them for one run), then for each numeric series
    its last value (``KEY[-1]``), then the lengths of the lists that hold series
    (``len(KEY)``)."""
    value_names: Dict[str, None] = {}
    series_names: Dict[str, None] = {}
    lengths: Dict[str, None] = {}
    for run in runs:
        value_names.update(dict.fromkeys(run.values))
        series_names.update(dict.fromkeys(run.series))
        lengths.update(dict.fromkeys(run.cells))
    shown = [n for n in value_names if len(runs) == 1 or differ([r.values for r in runs], n)]
    columns = shown + [f"{n}[-1]" for n in series_names] + list(lengths)
    rows = []
    for run in runs:
        row: Dict[str, Any] = {n: run.values.get(n, MISSING) for n in shown}
        for n in series_names:
            row[f"{n}[-1]"] = run.series.get(n, MISSING)
        for name in lengths:
            row[name] = run.cells.get(name, MISSING)
        rows.append(row)
    return columns, rows


def sort_key(value: Any) -> Tuple[int, Any]:
    """Numbers in order, then strings, then anything else by its repr."""
    if isinstance(value, NUMBERS):
        return (0, float(value))
    if isinstance(value, str):
        return (1, value)
    return (2, repr(value))


@dataclass
class Line:
    """A run as ``compare`` prints it: its short name, path, torn bytes (0: not torn),
    the value it is sorted by, and its cells by column."""

    run: str
    path: str
    torn: int
    sort: Any
    cells: Dict[str, Any]


def sorted_lines(lines: List[Line], reverse: bool) -> List[Line]:
    """``lines`` by their ``sort`` value; those without one (or NaN) last, in either order."""
    def absent(line: Line) -> bool:
        v = line.sort
        return v is MISSING or v is None or (isinstance(v, float) and math.isnan(v))

    present = [line for line in lines if not absent(line)]
    present.sort(key=lambda line: sort_key(line.sort), reverse=reverse)
    return present + [line for line in lines if absent(line)]


# ---- writing the rows ----------------------------------------------------------------------


def table_cell(value: Any) -> str:
    """A cell of the table: a float to 6 significant digits, text as it is (on one line:
    a newline or tab as ``\\n``, ``\\t``), anything else as its repr, cut to
    ``CELL_WIDTH``; empty for a missing key."""
    if value is MISSING:
        return ""
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, str):
        text = value
    else:
        text = short(value, CELL_WIDTH)
    text = one_line(text)
    return text if width(text) <= CELL_WIDTH else cut(text, CELL_WIDTH)


def width(text: str) -> int:
    """The columns ``text`` takes on a terminal (wide East Asian characters two,
    combining marks none)."""
    w = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def cut(text: str, most: int) -> str:
    """``text`` cut to ``most`` columns, ending in ``...``."""
    out, w = [], 0
    for ch in text:
        cw = width(ch)
        if w + cw > most - 3:
            break
        out.append(ch)
        w += cw
    return "".join(out) + "..."


def print_table(header: List[str], cells: List[List[str]], columns: int) -> int:
    """Print the table, aligned, with as many columns as fit in ``columns`` (the first
    always); return how many were left out."""
    widths = [max([width(h)] + [width(row[i]) for row in cells]) for i, h in enumerate(header)]
    shown, used = 0, 0
    for w in widths:
        need = w + (2 if shown else 0)
        if shown and used + need > columns:
            break
        used += need
        shown += 1

    def line(texts: List[str]) -> str:
        parts = []
        for i in range(shown):
            text, pad = texts[i], widths[i] - width(texts[i])
            # text left-aligned, numbers right-aligned (their digits line up)
            parts.append(text + " " * pad if i == 0 or not _numeric(text) else " " * pad + text)
        return "  ".join(parts).rstrip()

    print(line([one_line(h) for h in header]))
    for row in cells:
        print(line(row))
    return len(header) - shown


def _numeric(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def csv_cell(value: Any) -> str:
    """A CSV cell, whole: numbers as Python writes them (``nan``, ``inf``, which pandas
    reads), text as it is, containers as JSON; empty for None and a missing key."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, NUMBERS):
        return repr(value)
    return json_text(value)


def json_text(value: Any) -> str:
    """``value`` as strict JSON (NaN as null); an object the log named through
    ``--symbol`` as its repr."""
    return json.dumps(to_json(value, "null"), ensure_ascii=False, allow_nan=False, default=_any_json)


def _any_json(obj: Any) -> Any:
    try:
        return json_default(obj)
    except TypeError:
        return repr(obj)


# ---- the command ---------------------------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    """Print a row per run of the logs ``args.files``; 1 when one of them did not load."""
    picked: List[str] = list(args.key or [])
    named = [("-k", n) for n in picked] + ([("--sort", args.sort)] if args.sort is not None else [])
    for option, name in named:
        if not column_key(name)[1]:
            # (show and export take '' for the whole store; a column holds one value per run,
            # and compare without -k is already its view of the whole store)
            raise UsageError(f"{option} {name!r}: an empty KEY is the whole store, not a column; name a "
                             "KEY (config.lr), or leave -k out for the values that differ and the series")
        parse_key_path(column_key(name)[1])  # a bad KEY: one error before anything loads
    paths = log_paths(args.files)
    keys: Optional[List[Any]] = None
    if picked:  # only the top-level keys the columns (and the sort) start at
        keys = top_keys(column_key(n)[1] for n in picked + ([args.sort] if args.sort else []))
    runs = load_runs(args, paths, keys, functools.partial(row_of, picked, args.sort))
    if not runs.stores:
        if runs.failed:
            return 1
        raise CommandError("no log to compare")
    shown: List[Row] = list(runs.stores.values())
    for name in dict.fromkeys(picked + ([args.sort] if args.sort else [])):
        # (a typo: the table still comes, with an empty column; the exit status stays 0)
        if all((run.sort if name == args.sort else run.cells[name]) is MISSING for run in shown):
            is_len, key = column_key(name)
            print(f"laaos compare: no run has {'a length for' if is_len else 'KEY'} {name!r}", file=sys.stderr)
    if picked:
        columns = list(dict.fromkeys(picked))
        rows = [dict(run.cells) for run in shown]
    else:
        columns, rows = default_columns(shown)
    lines = [Line(name, path, runs.torn.get(path, 0), run.sort, row)
             for name, path, run, row in zip(run_names(list(runs.stores)), runs.stores, shown, rows)]
    if args.sort:
        lines = sorted_lines(lines, args.reverse)
    elif args.reverse:
        lines.reverse()
    {"json": write_json, "csv": write_csv, "table": write_table}[args.format](lines, columns, bool(runs.torn))
    return 1 if runs.failed else 0


def write_json(lines: List[Line], columns: List[str], torn: bool) -> None:
    """A JSON list of an object per run: ``run``, ``path``, ``torn`` (bytes dropped,
    when any run is torn), and its cells (a key the run lacks left out)."""
    items = []
    for line in lines:
        item: Dict[str, Any] = {"run": line.run, "path": line.path}
        if torn:
            item["torn"] = line.torn
        item.update((c, line.cells[c]) for c in columns if line.cells[c] is not MISSING)
        items.append(json_text(item))
    print("[" + ",\n ".join(items) + "]")


def write_csv(lines: List[Line], columns: List[str], torn: bool) -> None:
    """CSV with a header: ``run``, ``path``, ``torn`` (when any run is torn), the columns."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["run", "path"] + (["torn"] if torn else []) + columns)
    for line in lines:
        lead = [line.run, line.path] + ([str(line.torn) if line.torn else ""] if torn else [])
        writer.writerow(lead + [csv_cell(line.cells[c]) for c in columns])


def write_table(lines: List[Line], columns: List[str], torn: bool) -> None:
    """The table for people: ``run``, ``torn`` (when any run is torn), the columns that
    fit the terminal; a note on stderr of those left out."""
    header = ["run"] + (["torn"] if torn else []) + columns
    cells = []
    for line in lines:
        lead = [one_line(line.run)] + ([f"TORN ({line.torn:,} bytes)" if line.torn else ""] if torn else [])
        cells.append(lead + [table_cell(line.cells[c]) for c in columns])
    left_out = print_table(header, cells, shutil.get_terminal_size().columns)
    if left_out:
        print(f"({left_out} more column(s) past the terminal's width: --format csv or json "
              "shows them all, -k KEY picks columns)", file=sys.stderr)
