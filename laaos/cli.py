"""The ``laaos`` command: look at, check, repair, export, plot and follow logs.

    laaos show FILE [KEY ...]        the store as a tree: keys, types, lengths, latest values
    laaos check FILE                 statements, size, torn tail, bad statements (exit 1 if damaged)
    laaos compact FILE [-o OUT]      the log as one statement (in place without -o)
    laaos recover FILE               keep every good statement, move the bad bytes aside
    laaos export FILE [-o OUT.json]  the store as JSON
    laaos plot FILE KEY ... -o PNG   line plots of numeric series (needs laaos[plot])
    laaos follow FILE                print new statements as they arrive

Exit status: 0 on success, 1 when a log is damaged or a command fails, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import sys
import warnings
from typing import Any, List, Optional, Sequence

from . import __version__
from .errors import LaaosError, LogError, TornTailWarning
from .loader import LoadResult, load, new_parser
from .runs import describe_records

PROGRESS_MIN_BYTES = 32 << 20  # show progress for logs at least this large, on a terminal


class CommandError(Exception):
    """A failure to report in one line, with exit status 1."""


# ---- loading, with progress on a terminal ------------------------------------------------


def load_log(path: str, *, skip_errors: bool = False) -> LoadResult:
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such log file")
    show = os.path.getsize(path) >= PROGRESS_MIN_BYTES and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        print(f"\rloading {path}: {100 * done // max(total, 1):3d}%", end="", file=sys.stderr, flush=True)

    result = load(path, skip_errors=skip_errors, warn=False, allow_empty=True, progress=progress if show else None)
    if show:
        print("\r" + " " * (len(path) + 18) + "\r", end="", file=sys.stderr, flush=True)
    return result


def load_store(path: str) -> LoadResult:
    """``load_log``, for the commands that need a store to work on."""
    result = load_log(path)
    if result.store is None:
        raise CommandError(f"{path}: no complete `store = ...` statement")
    return result


def select(store: Any, keys: Sequence[str]) -> Any:
    """Walk ``keys`` down the store: dict keys, list indexes, or a field of a list of dicts."""
    value = store
    for key in keys:
        if isinstance(value, dict):
            matches = [k for k in value if k == key or str(k) == key]
            if not matches:
                raise CommandError(f"no key {key!r} (keys: {', '.join(map(str, list(value)[:20]))})")
            value = value[matches[0]]
        elif isinstance(value, list):
            try:
                value = value[int(key)]
            except ValueError:
                if value and all(isinstance(v, dict) for v in value):
                    value = [v.get(key) for v in value]  # a field of a list of per-step dicts
                else:
                    raise CommandError(f"{key!r} is not an index of a list of {len(value)}") from None
            except IndexError:
                raise CommandError(f"index {key} is out of range for a list of {len(value)}") from None
        else:
            raise CommandError(f"cannot look up {key!r} in a {type(value).__name__}")
    return value


# ---- show ----------------------------------------------------------------------------------


def short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def number(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else short(x, 24)


def describe_list(items: list) -> str:
    n = len(items)
    if not n:
        return "list[0]"
    kinds = {type(v).__name__ for v in items}
    numbers = [v for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]
    text = f"list[{n:,}] of {'/'.join(sorted(kinds))}"
    if len(numbers) == n:
        finite = [v for v in numbers if not (isinstance(v, float) and math.isnan(v))]
        text += f"  last {number(items[-1])}"
        if finite:
            text += f"  min {number(min(finite))}  max {number(max(finite))}"
        return text
    if kinds == {"dict"}:
        fields: List[Any] = []
        for v in items:
            fields.extend(k for k in v if k not in fields)
        return f"list[{n:,}] of dict {{{', '.join(map(str, fields[:12]))}}}  last {short(items[-1])}"
    return f"{text}  last {short(items[-1])}"


def tree(value: Any, indent: str = "", out: Optional[List[str]] = None, depth: int = 0) -> List[str]:
    out = [] if out is None else out
    if not isinstance(value, dict):
        out.append(indent + summary(value))
        return out
    for key, item in value.items():
        if isinstance(item, dict) and item and depth < 8:
            out.append(f"{indent}{key}:  dict[{len(item)}]")
            tree(item, indent + "  ", out, depth + 1)
        else:
            out.append(f"{indent}{key}:  {summary(item)}")
    return out


def summary(value: Any) -> str:
    if isinstance(value, list):
        return describe_list(value)
    if isinstance(value, dict):
        return f"dict[{len(value)}]"
    if isinstance(value, set):
        return f"set[{len(value)}] {short(value, 50)}"
    return short(value)


def cmd_show(args: argparse.Namespace) -> int:
    result = load_store(args.file)
    value = select(result.store, args.key)
    print(f"{args.file}  ({result.statements:,} statements, {human(result.size)})")
    if args.key:
        print(f"[{']['.join(args.key)}]")
    for line in tree(value, "  "):
        print(line)
    if result.torn:
        print(f"(the last {result.dropped_bytes} bytes are an incomplete statement, not shown)")
    for line in describe_records(result):
        print(line)
    return 0


def human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)  # pragma: no cover


# ---- check, compact, recover ---------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    path = args.file
    try:
        result = load_log(path)
    except LogError as e:
        relaxed = load_log(path, skip_errors=True)
        print(f"{path}: DAMAGED: {e}")
        print(f"  {len(relaxed.skipped)} bad statement(s) at line(s) "
              f"{', '.join(str(line) for line, _ in relaxed.skipped[:20])}; "
              f"{relaxed.statements:,} good statements")
        print(f"  `laaos recover {path}` keeps the good statements and moves the bad bytes aside")
        return 1
    print(f"{path}: {result.statements:,} statements, {result.lines:,} lines, {human(result.size)}")
    if result.store is None:
        print(f"{path}: DAMAGED: no complete `store = ...` statement")
        return 1
    if result.dropped_bytes:
        what = "an incomplete last statement" if result.torn else "NUL padding"
        print(f"{path}: TORN: the last {result.dropped_bytes} bytes are {what} "
              f"(from line {result.lines + 1}); reopening the log cuts them off into a sidecar file")
        return 1
    print(f"{path}: OK")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    from .files import compact

    out = args.output or args.file
    before = os.path.getsize(args.file) if os.path.isfile(args.file) else 0
    if before >= PROGRESS_MIN_BYTES and sys.stderr.isatty():
        print(f"compacting {args.file} ({human(before)})...", file=sys.stderr, flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornTailWarning)
        compact(args.file, out)
    print(f"{out}: {human(os.path.getsize(out))} (was {human(before)})")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from .recover import recover

    recovery = recover(args.file)
    if not recovery.changed:
        print(f"{args.file}: nothing to recover ({recovery.statements:,} statements, all good)")
        return 0
    print(f"{args.file}: kept {recovery.statements:,} statements"
          + (" (rewritten as one statement)" if recovery.compacted else ""))
    for line, why in recovery.rejected_lines:
        print(f"  rejected line {line}: {why}")
    if recovery.dropped_bytes:
        print(f"  rejected a torn tail of {recovery.dropped_bytes} bytes")
    print(f"  the rejected bytes are in {recovery.rejected_path}")
    return 0


# ---- export --------------------------------------------------------------------------------


def to_json(value: Any, nan: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        if nan == "null":
            return None
        if nan == "string":
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return value  # "js": bare NaN / Infinity, as JavaScript and Python's json read them
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(to_json(k, nan)): to_json(v, nan) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, nan) for v in value]
    if isinstance(value, set):
        items = [to_json(v, nan) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, complex):
        return {"real": to_json(value.real, nan), "imag": to_json(value.imag, nan)}
    return value


def cmd_export(args: argparse.Namespace) -> int:
    result = load_store(args.file)
    value = select(result.store, args.key)
    text = json.dumps(to_json(value, args.nan), allow_nan=args.nan == "js", ensure_ascii=False,
                      indent=args.indent)
    if args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(f"{args.output}: {human(os.path.getsize(args.output))}", file=sys.stderr)
    else:
        print(text)
    return 0


# ---- plot ----------------------------------------------------------------------------------


def numeric_series(value: Any, name: str) -> List[float]:
    if not isinstance(value, list) or not value:
        raise CommandError(f"{name} is not a non-empty list (it is {summary(value)})")
    out = []
    for v in value:
        if v is None:
            out.append(math.nan)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
        else:
            hint = " (name a field: KEY.FIELD)" if isinstance(v, dict) else ""
            raise CommandError(f"{name} holds a {type(v).__name__}, not numbers{hint}")
    return out


def cmd_plot(args: argparse.Namespace) -> int:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CommandError("laaos plot needs matplotlib: pip install matplotlib "
                           "(the 'plot' extra of laaos: pip install 'laaos[plot]')") from None
    result = load_store(args.file)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for key in args.key:
        series = numeric_series(select(result.store, key.split(".")), key)
        ax.plot(range(len(series)), series, label=key, linewidth=1.2)
    ax.set_xlabel("step")
    ax.set_title(os.path.basename(args.file))
    if args.logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output)
    plt.close(fig)
    print(f"{args.output}: {', '.join(args.key)}")
    return 0


# ---- follow --------------------------------------------------------------------------------


def cmd_follow(args: argparse.Namespace) -> int:
    from .follow import tail_bytes

    parser = None
    pending = b""
    lineno = 0
    start = None if args.from_start else (os.path.getsize(args.file) if os.path.isfile(args.file) else 0)
    try:
        for chunk in tail_bytes(args.file, interval=args.interval, idle_timeout=args.idle_timeout):
            if chunk is None:  # (re)started: the file is new or was replaced
                parser, pending, lineno = new_parser(args.file), b"", 0
                skip = start or 0
                start = None
                if skip:
                    print(f"following {args.file} (from its end; --from-start prints it all)", flush=True)
                continue
            parser.feed(chunk)  # checks each statement as the loader would
            data = pending + chunk
            end = data.rfind(b"\n") + 1
            pending = data[end:]
            for line in data[:end].split(b"\n")[:-1]:
                lineno += 1
                if skip > 0:
                    skip -= len(line) + 1
                    continue
                print(f"{lineno:>7}  {line.decode('utf-8', 'replace').rstrip()}", flush=True)
    except KeyboardInterrupt:
        return 0
    return 0


# ---- the command ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="laaos", description="Look at, check and repair laaos logs.",
                                epilog="Exit status: 0 on success, 1 when a log is damaged or a command "
                                       "fails, 2 on bad usage.")
    p.add_argument("--version", action="version", version=f"laaos {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser("show", help="the store as a tree", description="Show a log's store as a tree: "
                       "keys, types, lengths of lists, the latest values of series.")
    s.add_argument("file")
    s.add_argument("key", nargs="*", help="keys (or list indexes) to walk down to")
    s.set_defaults(run=cmd_show)

    s = sub.add_parser("check", help="check a log for damage", description="Count statements and "
                       "check for a torn tail or bad statements; exit status 1 when damaged.")
    s.add_argument("file")
    s.set_defaults(run=cmd_check)

    s = sub.add_parser("compact", help="rewrite a log as one statement",
                       description="Rewrite the log as one statement of its store (atomically).")
    s.add_argument("file")
    s.add_argument("-o", "--output", help="write here instead of replacing FILE")
    s.set_defaults(run=cmd_compact)

    s = sub.add_parser("recover", help="repair a damaged log", description="Keep every statement "
                       "that loads; move bad statements and a torn tail, byte for byte, to "
                       "FILE.rejected_<time>.")
    s.add_argument("file")
    s.set_defaults(run=cmd_recover)

    s = sub.add_parser("export", help="the store as JSON", description="Write the store as JSON. "
                       "Sets become sorted lists, tuples lists, bytes {\"base64\": ...}, complex "
                       "numbers {\"real\", \"imag\"}, non-string keys their JSON text.")
    s.add_argument("file")
    s.add_argument("key", nargs="*", help="export only this part of the store")
    s.add_argument("-o", "--output", help="output file (default: standard output)")
    s.add_argument("--nan", choices=["null", "string", "js"], default="null",
                   help="how NaN and infinities are written: null (default, strict JSON), "
                        "string (\"NaN\", \"Infinity\", \"-Infinity\"), or js (bare NaN/Infinity, "
                        "not strict JSON)")
    s.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    s.set_defaults(run=cmd_export)

    s = sub.add_parser("plot", help="plot numeric series to a PNG", description="Line plots of "
                       "numeric series: KEY is a list of numbers, or KEY.FIELD a field of a list of "
                       "dicts (nested keys with dots). Needs matplotlib (the 'plot' extra).")
    s.add_argument("file")
    s.add_argument("key", nargs="+")
    s.add_argument("-o", "--output", required=True, help="the image file (.png, .svg, .pdf)")
    s.add_argument("--logy", action="store_true", help="logarithmic y axis")
    s.set_defaults(run=cmd_plot)

    s = sub.add_parser("follow", help="print new statements as they arrive",
                       description="Print each new statement of a log as it is written, until "
                       "interrupted (Ctrl-C).")
    s.add_argument("file")
    s.add_argument("--from-start", action="store_true", help="print the statements already there too")
    s.add_argument("--interval", type=float, default=0.5, help="seconds between looks (default 0.5)")
    s.add_argument("--idle-timeout", type=float, default=None, help="stop after this many idle seconds")
    s.set_defaults(run=cmd_follow)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `laaos export ... | head`
        return 0
    except (CommandError, LaaosError, OSError) as e:
        print(f"laaos {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
