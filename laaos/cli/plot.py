"""``laaos plot``: line plots of numeric series of one or more logs to an image file
(one line per log and KEY), with matplotlib (the ``plot`` extra), imported only when the
command runs."""

from __future__ import annotations

import argparse
import glob
import math
import os
from typing import Any, List, Tuple

from .columns import run_names
from .escaping import one_line
from .failures import CommandError, report
from .keys import parse_key_path, select
from .loading import load_store
from .logfiles import log_paths
from .manylogs import load_runs, top_keys
from .show import short, summary


def numeric_series(value: Any, name: str) -> List[float]:
    """``value``, which the KEY path ``name`` selected, as floats to plot (None as NaN, a
    gap in the line; a bool as 0 or 1, as matplotlib draws one: a flag per step); an error
    saying what it is instead."""
    if not isinstance(value, list) or not value:
        raise CommandError(f"{name} is not a non-empty list (it is {summary(value)})")
    out = []
    for step, v in enumerate(value):
        if v is None:
            out.append(math.nan)
        elif isinstance(v, (int, float)):
            try:
                out.append(float(v))
            except OverflowError:  # an int beyond a float's range: drawn as inf, it would be a gap
                raise CommandError(f"{name}: step {step} is an int too large to plot "
                                   f"({v.bit_length():,} bits)") from None
        else:
            hint = " (name a field: KEY.FIELD or KEY['FIELD'])" if isinstance(v, dict) else ""
            raise CommandError(f"{name} holds a {type(v).__name__}, not numbers{hint}")
    return out


def plot_text(text: str) -> str:
    """A text the image shows (a label, a title) from a log or the command line: on one
    line, with control characters as escapes (as the terminal gets them: raw, they would
    make an SVG that is not well-formed XML), and ``$`` as itself, not matplotlib's math."""
    return one_line(text).replace("$", "\\$")


def split_arguments(arguments: List[str]) -> Tuple[List[str], List[str]]:
    """``(FILEs, KEYs)`` of ``laaos plot``'s arguments: an existing path, ``-`` or a
    glob pattern that matches files is a FILE, anything else a KEY.  With no FILE at all,
    the first argument is the FILE (a missing log, reported as one)."""
    files, keys = [], []
    for a in arguments:
        is_file = a == "-" or os.path.exists(a) or (glob.has_magic(a) and any(
            os.path.isfile(p) for p in glob.glob(a, recursive=True)))
        (files if is_file else keys).append(a)
    if not files and arguments:
        files, keys = arguments[:1], arguments[1:]
    for key in keys:
        if key.endswith(".py"):  # a log's name with a typo, not a KEY
            raise CommandError(f"{key}: no such log file (an argument that is not an existing path "
                               "is taken for a KEY)")
    if not keys:
        raise CommandError(f"no KEY to plot: name a series after the log(s) ({files[0]} losses); "
                           f"an argument that is no existing path is a KEY")
    return files, keys


def cmd_plot(args: argparse.Namespace) -> int:
    """Plot the series ``args.key`` of the logs ``args.files`` (against ``args.x``) to
    ``args.output``: one line per log and KEY."""
    files, keys = split_arguments(args.files + args.key)
    try:
        import matplotlib

        matplotlib.use("Agg")
        matplotlib.rcParams["svg.fonttype"] = "none"  # an SVG's labels as text, not glyph outlines
        import matplotlib.pyplot as plt
    except ImportError:
        raise CommandError("laaos plot needs matplotlib: pip install matplotlib "
                           "(the 'plot' extra of laaos: pip install 'laaos[plot]')") from None
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    failed = plotted = 0
    try:
        kinds = fig.canvas.get_supported_filetypes()
        ext = os.path.splitext(args.output)[1].lstrip(".").lower()
        if ext not in kinds:
            raise CommandError(f"{args.output}: cannot write a .{ext or '(no extension)'} image; "
                               f"name the file .png, .svg, .pdf, ... (one of: {', '.join(sorted(kinds))})")
        for key in keys + [k for k in (args.x, args.label) if k]:
            parse_key_path(key)  # a bad KEY: one error before anything loads
        paths = log_paths(files)
        single = len(paths) == 1
        if single:  # one log: as it always was (its errors are the command's)
            one = argparse.Namespace(**{**vars(args), "file": paths[0]})
            stores = {paths[0]: load_store(one).store}
        else:
            runs = load_runs(args, paths, top_keys(keys + [k for k in (args.x, args.label) if k]))
            stores, failed = runs.stores, runs.failed
            if not stores:
                return 1
        names = run_names(list(stores))
        partial = not single  # (only the top-level keys plotted were loaded)
        for path, name in zip(stores, names):
            store = stores[path]
            try:
                x = None
                if args.x:
                    x = numeric_series(select(store, [args.x], partial), args.x)
                label = name
                if args.label:
                    try:
                        value = select(store, [args.label], partial)
                        label = value if isinstance(value, str) else short(value, 40)
                    except CommandError:
                        label = f"{name} (no {args.label})"
                for key in keys:
                    series = numeric_series(select(store, [key], partial), key)
                    if x is not None and len(x) != len(series):
                        raise CommandError(f"{key} has {len(series)} values but the x axis {args.x} has {len(x)}")
                    line = key if single and not args.label else label if len(keys) == 1 else f"{label} {key}"
                    ax.plot(range(len(series)) if x is None else x, series, label=plot_text(line),
                            linewidth=1.2)
                plotted += 1
            except CommandError as e:
                if single:
                    raise CommandError(f"{path}: {e}") from None
                report(args, CommandError(f"{path}: {e}"))
                failed += 1
        ax.set_xlabel(plot_text(args.x or "index in the list"))
        if single:
            ax.set_title(plot_text(os.path.basename(paths[0])))
        elif len(keys) == 1:
            ax.set_title(plot_text(keys[0]))
        if args.logy:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        if ax.lines:
            # matplotlib leaves out of a legend any label that starts with "_" (older
            # versions even when the labels are given), and a run or key may be named so:
            # the legend is made with labels that cannot start so, then given the real ones
            labels = [line.get_label() for line in ax.lines]
            legend = ax.legend(ax.lines, [" " + label for label in labels])
            for text, label in zip(legend.get_texts(), labels):
                text.set_text(label)
            if args.label:
                legend.set_title(plot_text(args.label))
        else:
            return 1
        fig.tight_layout()
        try:
            fig.savefig(args.output)
        except (ValueError, TypeError) as e:
            raise CommandError(f"{args.output}: {e}") from None
    finally:
        plt.close(fig)
    if single:
        print(f"{args.output}: {', '.join(keys)}")
    else:
        print(f"{args.output}: {', '.join(keys)} of {plotted} logs")
    return 1 if failed else 0
