"""``laaos plot``: line plots of numeric series of the store to an image file, with
matplotlib (the ``plot`` extra), imported only when the command runs."""

from __future__ import annotations

import argparse
import math
import os
from typing import Any, List

from .failures import CommandError
from .keys import select
from .loading import load_store
from .show import summary


def numeric_series(value: Any, name: str) -> List[float]:
    """``value``, which the KEY path ``name`` selected, as floats to plot (None as NaN, a
    gap in the line); an error saying what it is instead."""
    if not isinstance(value, list) or not value:
        raise CommandError(f"{name} is not a non-empty list (it is {summary(value)})")
    out = []
    for v in value:
        if v is None:
            out.append(math.nan)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
        else:
            hint = " (name a field: KEY.FIELD or KEY['FIELD'])" if isinstance(v, dict) else ""
            raise CommandError(f"{name} holds a {type(v).__name__}, not numbers{hint}")
    return out


def cmd_plot(args: argparse.Namespace) -> int:
    """Plot the series ``args.key`` of ``args.file`` (against ``args.x``) to ``args.output``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CommandError("laaos plot needs matplotlib: pip install matplotlib "
                           "(the 'plot' extra of laaos: pip install 'laaos[plot]')") from None
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        kinds = fig.canvas.get_supported_filetypes()
        ext = os.path.splitext(args.output)[1].lstrip(".").lower()
        if ext not in kinds:
            raise CommandError(f"{args.output}: cannot write a .{ext or '(no extension)'} image; "
                               f"name the file .png, .svg, .pdf, ... (one of: {', '.join(sorted(kinds))})")
        result = load_store(args)
        x = None
        if args.x:
            x = numeric_series(select(result.store, [args.x]), args.x)
        for key in args.key:
            series = numeric_series(select(result.store, [key]), key)
            if x is not None and len(x) != len(series):
                raise CommandError(f"{key} has {len(series)} values but the x axis {args.x} has {len(x)}")
            ax.plot(range(len(series)) if x is None else x, series, label=key, linewidth=1.2)
        ax.set_xlabel(args.x or "index in the list")
        ax.set_title(os.path.basename(args.file))
        if args.logy:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        try:
            fig.savefig(args.output)
        except (ValueError, TypeError) as e:
            raise CommandError(f"{args.output}: {e}") from None
    finally:
        plt.close(fig)
    print(f"{args.output}: {', '.join(args.key)}")
    return 0
