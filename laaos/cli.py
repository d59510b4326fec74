"""The ``laaos`` command: look at, check, repair, export, plot and follow logs.

    laaos show FILE [KEY ...]        the store as a tree: keys, types, lengths, latest values
    laaos check FILE                 statements, size, torn tail, bad statements (exit 1 if damaged)
    laaos compact FILE [-o OUT]      the log as one statement (in place without -o)
    laaos recover FILE [--dry-run]   keep every good statement, move the bad bytes aside
    laaos export FILE [-o OUT.json]  the store as JSON
    laaos plot FILE KEY ... -o PNG   line plots of numeric series (needs laaos[plot])
    laaos follow FILE                print new statements as they arrive

Exit status: 0 on success, 1 when a log is damaged or a command fails, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import os
import re
import sys
import time
import warnings
from typing import Any, List, Optional, Sequence

from . import __version__
from .errors import LaaosError, LogError, TornTailWarning, UnknownSymbolError
from .loader import LoadResult, load, new_parser
from .diagnosis import unsafe_why
from .runs import describe_records

KEY_HELP = """\
KEY is a path down the store: names joined by dots (losses, eval.acc), list indexes and
keys in brackets ([3], [-1], ['a.b'], ["1"]), or both (metrics[3].acc, runs['x.y'][0]).
A bare name is a string key; a bare number (metrics.3) is a list index, or the dict key
that is that number or its text when only one of them exists. On a list of dicts a name
selects that field of every item (metrics.acc). Quote brackets in the shell:
laaos show run.py "['a.b']" 'metrics[-1]'.
"""

SYMBOL_HELP = """\
A log written with type handlers names symbols (datetime.datetime(...), Color.RED):
pass them with --symbol, repeatable: --symbol datetime (a module, under its name),
--symbol mypkg.enums:Color (an attribute of a module, under its own name), or
--symbol Colour=mypkg.enums:Color (under another name). The module is imported, so it
runs: name only modules you trust; the log itself is never executed.
"""

PROGRESS_MIN_BYTES = 32 << 20  # show progress for logs at least this large, on a terminal


class CommandError(Exception):
    """A failure to report in one line, with exit status 1."""


# ---- loading, with progress on a terminal ------------------------------------------------


def check_file(path: str) -> None:
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory, not a log file")
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such log file")


def refuse_directory(output: str) -> None:
    """An output path that is a directory: say so (not an OS error about a temporary file)."""
    if os.path.isdir(output):
        raise CommandError(f"{output}: is a directory: name a file to write (-o DIR/NAME)")


def load_log(path: str, symbols: Optional[dict] = None) -> LoadResult:
    check_file(path)
    show = os.path.getsize(path) >= PROGRESS_MIN_BYTES and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        print(f"\rloading {path}: {100 * done // max(total, 1):3d}%", end="", file=sys.stderr, flush=True)

    result = load(path, None, symbols, warn=False, allow_empty=True, progress=progress if show else None)
    if show:
        print("\r" + " " * (len(path) + 18) + "\r", end="", file=sys.stderr, flush=True)
    return result


def load_store(args: argparse.Namespace) -> LoadResult:
    """``load_log``, for the commands that need a store to work on."""
    result = load_log(args.file, args.symbols)
    if result.store is None:
        raise CommandError(f"{args.file}: no complete `store = ...` statement")
    return result


def symbol_spec(spec: str) -> Any:
    """``--symbol``: ``module``, ``module:attr.path`` or ``NAME=module:attr.path``."""
    import importlib

    from .diagnosis import unsafe_symbol

    alias, eq, target = spec.partition("=")
    if not eq:
        alias, target = "", spec
    module_name, colon, attr = target.partition(":")
    if not module_name or (colon and not attr) or (eq and not alias.isidentifier()):
        raise argparse.ArgumentTypeError(f"{spec!r}: expected MODULE, MODULE:NAME or ALIAS=MODULE:NAME")
    if unsafe_symbol(target):  # checked before the import: importing it may already act
        raise argparse.ArgumentTypeError(
            f"{spec!r}: refused: {target} can run code or change files, and a log written by "
            "laaos never needs it (a statement naming it is foreign or tampered: "
            "`laaos check` shows it, `laaos recover` moves it aside)")
    sys.path.insert(0, os.getcwd())  # the user's own modules, as `python -m` finds them
    try:
        obj = importlib.import_module(module_name)
    except Exception as e:  # noqa: BLE001 - whatever the user's module raises is a usage error
        raise argparse.ArgumentTypeError(f"cannot import {module_name!r}: {type(e).__name__}: {e}") from None
    finally:
        sys.path.remove(os.getcwd())
    if colon:
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise argparse.ArgumentTypeError(f"{module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        name = attr.rpartition(".")[2]
    else:
        obj = importlib.import_module(module_name.partition(".")[0])  # as `import a.b` binds `a`
        name = module_name.partition(".")[0]
    # The log reaches the symbol's attributes: never a module it imports (datetime.sys).
    # (the loader itself keeps a log from reaching further through it: laaos/_symbols.py)
    return (alias or name, obj)


# ---- key paths -----------------------------------------------------------------------------


def parse_key_path(text: str) -> List[Any]:
    """Split a KEY (see ``KEY_HELP``) into its steps: ``str`` for a bare name (or bare
    number, kept as ``_Bare``), and the literal value for a bracketed step."""
    import ast

    steps: List[Any] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "[":
            j = i + 1
            if j < n and text[j] in "'\"":
                quote, j = text[j], j + 1
                while j < n and text[j] != quote:
                    j += 2 if text[j] == "\\" else 1
                j += 1
            end = text.find("]", j)
            if end < 0:
                raise CommandError(f"key {text!r}: '[' without its ']'")
            inner = text[i + 1 : end].strip()
            try:
                step = ast.literal_eval(inner)  # a literal of the user's, never the log's text
            except (ValueError, SyntaxError):
                raise CommandError(f"key {text!r}: [{inner}] is not a number or a quoted string") from None
            if not isinstance(step, (int, str, float, bool)) and step is not None:
                raise CommandError(f"key {text!r}: [{inner}] is not a number or a quoted string")
            steps.append(step)
            i = end + 1
            if i < n and text[i] == ".":
                i += 1
                if i == n:
                    raise CommandError(f"key {text!r} ends in '.'")
        else:
            end = len(text)
            for stop in ".[":
                at = text.find(stop, i)
                if at >= 0:
                    end = min(end, at)
            part = text[i:end]
            if not part:
                raise CommandError(f"key {text!r}: an empty name (two dots, or a leading dot)")
            steps.append(_Bare(part))
            i = end
            if i < n and text[i] == ".":
                i += 1
                if i == n:
                    raise CommandError(f"key {text!r} ends in '.'")
    return steps


class _Bare(str):
    """A step written without brackets: a string key, or a number's text."""


def select(store: Any, keys: Sequence[str]) -> Any:
    """Walk the KEY paths ``keys`` down the store (see ``KEY_HELP``)."""
    value = store
    for key in keys:
        for step in parse_key_path(key):
            value = select_step(value, step, key)
    return value


def select_step(value: Any, step: Any, key: str) -> Any:
    bare = isinstance(step, _Bare)
    number: Optional[int] = None
    if bare and step.lstrip("-").isdigit():
        number = int(step)
    elif type(step) is int:
        number = step
    if isinstance(value, dict):
        if bare:
            matches = [k for k in (str(step), number) if k is not None and k in value]
            if len(matches) > 1:
                raise CommandError(f"key {key!r}: both {matches[0]!r} and {matches[1]!r} are keys here; "
                                   f"write [{matches[0]!r}] or [{matches[1]!r}]")
        else:
            matches = [step] if _has_key(value, step) else []
        if not matches:
            keys = ", ".join(repr(k) for k in list(value)[:20]) + (", ..." if len(value) > 20 else "")
            raise CommandError(f"key {key!r}: no key {step!r} here (keys: {keys})")
        return value[matches[0]]
    if isinstance(value, (list, tuple)):
        if number is not None:
            try:
                return value[number]
            except IndexError:
                raise CommandError(f"key {key!r}: index {number} is out of range for a list of {len(value)}") from None
        if bare and value and all(isinstance(v, dict) for v in value):
            return [v.get(str(step)) for v in value]  # a field of a list of per-step dicts
        raise CommandError(f"key {key!r}: {step!r} is not an index of a list of {len(value)}")
    raise CommandError(f"key {key!r}: cannot look up {step!r} in a {type(value).__name__}")


def _has_key(value: dict, step: Any) -> bool:
    try:
        return step in value
    except TypeError:
        return False


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
    result = load_store(args)
    value = select(result.store, args.key)
    print(f"{args.file}  ({count(result.statements, 'statement')}, {human(result.size)})")
    if args.key:
        print(".".join(args.key))
    for line in tree(value, "  "):
        print(line)
    if result.torn:
        print(f"(the last {result.dropped_bytes} bytes are an incomplete statement, not shown)")
    for line in describe_records(result):
        print(line)
    return 0


def count(n: int, noun: str) -> str:
    """``1 statement``, ``2 statements``, ``1,000 lines``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)  # pragma: no cover


# ---- check, compact, recover ---------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from .diagnosis import diagnose

    path = args.file
    check_file(path)
    diagnosis = diagnose(path, None, args.symbols)
    result = diagnosis.result
    print(f"{path}: {count(result.statements, 'statement')}, {count(result.lines, 'line')}, {human(result.size)}")
    status = 0
    if diagnosis.damaged:
        lines = ", ".join(str(line) for line, _ in diagnosis.damaged[:20])
        line, why = diagnosis.damaged[0]
        print(f"{path}: DAMAGED: {len(diagnosis.damaged)} statement(s) not well formed, at line(s) {lines}")
        print(f"  {path}:{line}: {why}")
        if result.statements:
            print(f"  `laaos recover {path}` keeps the good statements and moves the bad bytes aside "
                  "(`--dry-run` first shows what it would do)")
        else:  # recover refuses: it would keep nothing
            print("  not one statement loads: not a laaos log, or its first `store = ...` statement "
                  "is damaged (fix that line by hand)")
        status = 1
    elif diagnosis.empty:
        print(f"{path}: EMPTY: no `store = ...` statement yet (a writer that has not written, or not a "
              "laaos log); nothing to recover")
        return 1
    if result.dropped_bytes:
        what = "an incomplete last statement" if result.torn else "NUL padding"
        print(f"{path}: TORN: the last {result.dropped_bytes} bytes are {what} "
              f"(from line {result.tail_line}); reopening the log cuts them off into a sidecar file")
        status = 1
    if result.store is None and not diagnosis.damaged and not result.dropped_bytes:
        print(f"{path}: DAMAGED: no complete `store = ...` statement")
        return 1
    if result.legacy_floats:
        print(f"{path}: OLD FORMAT: {result.legacy_floats:,} statement(s) hold a bare nan/inf/-inf as "
              "laaos 2.1.1 wrote non-finite floats; they load as those floats (not damage)")
    if diagnosis.missing:
        print(f"{path}: NEEDS SYMBOLS: well-formed statements name symbols that were not passed:")
        for name, line in diagnosis.missing.items():
            print(f"  {name}, first at {path}:{line}: {short(line_of(path, line), 100)}")
        print(f"  the log is not damaged; load it with them: {symbol_hint(diagnosis.missing)}")
    if not status:
        print(f"{path}: OK")
    return status


def line_of(path: str, number: int) -> str:
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if i == number:
                return line.decode("utf-8", "replace").rstrip("\r\n")
    return ""


def unsafe_statement(error: UnknownSymbolError) -> Optional[str]:
    """What unsafe name the statement of ``error`` reaches (``os``, or ``datetime.sys``
    behind a harmless first name), if any: such a name is never to be suggested."""
    from .diagnosis import diagnose, unsafe_symbol

    if unsafe_symbol(error.name):
        return error.name
    if error.line is None or not os.path.isfile(error.path):
        return None
    with open(error.path, "rb") as f:
        for number, text in enumerate(f, 1):
            if number == error.line:  # that statement alone, after an empty store
                return diagnose(error.path, data=b"store = {}\n" + text.rstrip(b"\r\n") + b"\n").unsafe.get(2)
    return None


def symbol_hint(names: Any) -> str:
    names = sorted(names)
    flags = " ".join(f"--symbol MODULE:{n}" if n[:1].isupper() else f"--symbol {n}" for n in names)
    return (f"`{flags}` on the command line (a module by its name, a class as MODULE:NAME), "
            f"or exposed_symbols=[...] / extra_mappings={{...}} in Python")


def cmd_compact(args: argparse.Namespace) -> int:
    from .files import _sidecar_name, _write_synced, compact
    from .handlers import ToReprHandler, WeakEnumHandler

    check_file(args.file)
    out = args.output or args.file
    refuse_directory(out)
    before = os.path.getsize(args.file)
    if before >= PROGRESS_MIN_BYTES and sys.stderr.isatty():
        print(f"compacting {args.file} ({human(before)})...", file=sys.stderr, flush=True)
    # Load first: a torn tail is not in the store, so compacting would drop it unseen.
    result = load_store(args)
    tail = b""
    if result.dropped_bytes:
        with open(args.file, "rb") as f:
            f.seek(result.valid_bytes)
            tail = f.read()
    # Objects loaded through --symbol are written back the way the handlers wrote them.
    handlers = [WeakEnumHandler(), ToReprHandler()] if args.symbols else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornTailWarning)
        compact(args.file, out, extra_mappings=args.symbols, type_handlers=handlers)
    sidecar = None
    if tail.strip(b" \t\r\n\x00"):
        sidecar = _sidecar_name(out, "torn")
        _write_synced(sidecar, tail)
    print(f"{out}: {human(os.path.getsize(out))} (was {human(before)})")
    if sidecar:
        print(f"{args.file}: the last {result.dropped_bytes} bytes were an incomplete statement (from "
              f"line {result.tail_line}), not part of the store: they are kept in {sidecar}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from .recover import recover

    check_file(args.file)
    recovery = recover(args.file, None, args.symbols, dry_run=args.dry_run)
    if recovery.missing_symbols:
        print(f"{args.file}: kept the well-formed statements that name symbols not passed "
              f"({', '.join(recovery.missing_symbols)}): that is not damage")
    if recovery.empty:
        print(f"{args.file}: empty: nothing to recover (no `store = ...` statement yet)")
        return 0
    if not recovery.needed:
        print(f"{args.file}: nothing to recover ({count(recovery.statements, 'statement')}, all good)")
        return 0
    keep, reject, rewrite = ("would keep", "would reject", "would rewrite") if args.dry_run else \
        ("kept", "rejected", "rewritten")
    print(f"{args.file}: {keep} {count(recovery.statements, 'statement')}"
          + (f" ({rewrite} as one statement)" if recovery.compacted else ""))
    for line, why in recovery.rejected_lines:
        print(f"  {reject} line {line}: {why}")
    if recovery.dropped_bytes:
        print(f"  {reject} a torn tail of {recovery.dropped_bytes} bytes")
    if args.dry_run:
        print("  (dry run: nothing was changed)")
    else:
        print(f"  the rejected bytes are in {recovery.rejected_path}")
    return 0


# ---- export --------------------------------------------------------------------------------


def to_json(value: Any, nan: str, repr_keys: bool = False, where: str = "store") -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        if nan == "null":
            return None
        if nan == "string":
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return value  # "js": bare NaN / Infinity, as JavaScript and Python's json read them
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            text = repr(k) if repr_keys else k if isinstance(k, str) else json.dumps(to_json(k, nan))
            if text in out:  # 1 and '1' would both be "1": say so rather than lose one
                other = next(o for o in value if o is not k and
                             (repr(o) if repr_keys else o if isinstance(o, str) else json.dumps(to_json(o, nan))) == text)
                raise CommandError(f"{where}: the keys {other!r} and {k!r} would both be the JSON key "
                                   f"{json.dumps(text)}: add --repr-keys to write every key as its Python "
                                   "repr ('a' as \"'a'\", 1 as \"1\"), which keeps them apart")
            out[text] = to_json(v, nan, repr_keys, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v, nan, repr_keys, f"{where}[{i}]") for i, v in enumerate(value)]
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
    result = load_store(args)
    value = select(result.store, args.key)
    try:
        text = json.dumps(to_json(value, args.nan, args.repr_keys), allow_nan=args.nan == "js",
                          ensure_ascii=False, indent=args.indent)
    except (TypeError, ValueError) as e:  # an object loaded through --symbol
        raise CommandError(f"{args.file}: cannot write this store as JSON: {e}") from None
    if args.output and args.output != "-":
        refuse_directory(args.output)
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
            hint = " (name a field: KEY.FIELD or KEY['FIELD'])" if isinstance(v, dict) else ""
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


# ---- follow --------------------------------------------------------------------------------


def cmd_follow(args: argparse.Namespace) -> int:
    from .follow import Tail

    if os.path.isdir(args.file):
        raise CommandError(f"{args.file}: is a directory, not a log file")
    if not os.path.exists(args.file):
        if args.wait is None:
            raise CommandError(f"{args.file}: no such log file (--wait SECONDS waits for it to appear)")
        print(f"waiting for {args.file} to appear (up to {args.wait:g} s)...", file=sys.stderr, flush=True)
        deadline = time.monotonic() + args.wait
        while not os.path.exists(args.file):
            if time.monotonic() >= deadline:
                raise CommandError(f"{args.file}: did not appear within {args.wait:g} seconds")
            time.sleep(min(args.interval, 0.1))
    tail = Tail(args.file, interval=args.interval, idle_timeout=args.idle_timeout)
    parser = None
    pending = b""
    lineno = 0
    skip = 0
    failed = None
    # The complete lines passed so far (printed or skipped), as a hash of the file's first
    # `seen_bytes` bytes: after a rewrite that kept them (a torn tail cut off and new
    # statements appended between two looks) the follower goes on after them, so that
    # it neither prints them again nor misses what was appended.
    seen, seen_bytes, at = hashlib.blake2b(digest_size=16), 0, 0
    try:
        for chunk in tail:
            if chunk is None:  # (re)started: the file is new or was rewritten
                parser, pending, lineno, at = new_parser(args.file, None, args.symbols), b"", 0, 0
                kept = bool(tail.restarts and seen_bytes) and _starts_with(args.file, seen_bytes, seen.digest())
                if kept:
                    skip = seen_bytes
                else:
                    seen, seen_bytes = hashlib.blake2b(digest_size=16), 0
                    skip = 0 if args.from_start else os.path.getsize(args.file)
                if tail.restarts:
                    print(f"--- {args.file} was rewritten (compacted, truncated, or a torn statement "
                          "cut off): reading it again" + (", after the lines shown" if kept else
                                                          "" if args.from_start else ", from its end"),
                          flush=True)
                elif skip:
                    print(f"following {args.file} (from its end; --from-start prints it all)", flush=True)
                continue
            try:
                parser.feed(chunk)  # checks each statement as the loader would
            except LogError as e:
                if failed == (e.line, e.message):  # the same error after reading afresh
                    raise
                failed = (e.line, e.message)
                tail.restart()  # a rewrite between two looks, or damage: read it again to tell
                continue
            data = pending + chunk
            end = data.rfind(b"\n") + 1
            pending = data[end:]
            for line in data[:end].split(b"\n")[:-1]:
                lineno += 1
                if at >= seen_bytes:
                    seen.update(line + b"\n")
                    seen_bytes += len(line) + 1
                at += len(line) + 1
                if skip > 0:
                    skip -= len(line) + 1
                    continue
                print(f"{lineno:>7}  {line.decode('utf-8', 'replace').rstrip()}", flush=True)
    except KeyboardInterrupt:
        return 0
    return 0


def _starts_with(path: str, size: int, digest: bytes) -> bool:
    """Whether the first ``size`` bytes of the file at ``path`` hash to ``digest``."""
    h = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as f:
            left = size
            while left > 0:
                block = f.read(min(left, 1 << 20))
                if not block:
                    return False
                h.update(block)
                left -= len(block)
    except OSError:
        return False
    return h.digest() == digest


# ---- the command ---------------------------------------------------------------------------


def seconds(text: str) -> float:
    """An option's number of seconds: finite and not negative."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of seconds >= 0")
    return value


def positive_seconds(text: str) -> float:
    """``seconds``, above zero (an interval of 0 would spin a core)."""
    value = seconds(text)
    if not value:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of seconds > 0")
    return value


def not_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 0")
    return value



def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="laaos", description="Look at, check and repair laaos logs.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=KEY_HELP + "\n" + SYMBOL_HELP + "\nExit status: 0 on success, 1 when a "
                                       "log is damaged or a command fails, 2 on bad usage.")
    p.add_argument("--version", action="version", version=f"laaos {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    symbols = argparse.ArgumentParser(add_help=False)
    symbols.add_argument("--symbol", action="append", type=symbol_spec, default=[], metavar="SPEC",
                         help="a name the log uses: MODULE, MODULE:NAME or ALIAS=MODULE:NAME (repeatable)")

    def command(name: str, run: Any, help: str, description: str, *, keys: bool = False) -> Any:
        """A subcommand: each takes a log FILE as its first argument and is run by ``run``."""
        epilog = (KEY_HELP if keys else "") + "\n" + SYMBOL_HELP
        s = sub.add_parser(name, help=help, description=description, parents=[symbols], epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        s.add_argument("file")
        s.set_defaults(run=run)
        return s

    s = command("show", cmd_show, "the store as a tree", "Show a log's store as a tree: keys, types, "
                "lengths of lists, the latest values of series.", keys=True)
    s.add_argument("key", nargs="*", default=[], help="a KEY path to walk down to (several are joined)")

    command("check", cmd_check, "check a log for damage", "Count statements and check for a torn tail "
            "or bad statements; exit status 1 when damaged, torn or empty. Statements that name a "
            "symbol not passed are not damage: check says which symbols to pass.")

    s = command("compact", cmd_compact, "rewrite a log as one statement", "Rewrite the log as one "
                "statement of its store (atomically). Reads FILE only (it needs no write access to it "
                "with -o). A torn last statement is not part of the store: it is kept in OUT.torn_<time>.")
    s.add_argument("-o", "--output", help="write here instead of replacing FILE")

    s = command("recover", cmd_recover, "repair a damaged log", "Keep every statement that loads; move "
                "bad statements and a torn tail, byte for byte, to FILE.rejected_<time>. Well-formed "
                "statements that name a symbol not passed are kept.")
    s.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")

    s = command("export", cmd_export, "the store as JSON", "Write the store as JSON. Sets become sorted "
                "lists, tuples lists, bytes {\"base64\": ...}, complex numbers {\"real\", \"imag\"}, "
                "non-string keys their JSON text (an error when that makes two keys one: see "
                "--repr-keys).", keys=True)
    s.add_argument("key", nargs="*", default=[], help="export only this KEY path of the store")
    s.add_argument("-o", "--output", help="output file (default: standard output)")
    s.add_argument("--nan", choices=["null", "string", "js"], default="null",
                   help="how NaN and infinities are written: null (default, strict JSON), "
                        "string (\"NaN\", \"Infinity\", \"-Infinity\"), or js (bare NaN/Infinity, "
                        "not strict JSON)")
    s.add_argument("--indent", type=not_negative, default=None, help="pretty-print with this indent")
    s.add_argument("--repr-keys", action="store_true",
                   help="write every dict key as its Python repr (\"'a'\", \"1\"): lossless")

    s = command("plot", cmd_plot, "plot numeric series to an image", "Line plots of numeric series: each "
                "KEY path names a list of numbers, or a field of a list of dicts (metrics.acc). The x "
                "axis is the index in the list, or the series --x names. Needs matplotlib (the "
                "'plot' extra).", keys=True)
    s.add_argument("key", nargs="+")
    s.add_argument("-o", "--output", required=True, help="the image file (.png, .svg, .pdf)")
    s.add_argument("--x", help="a KEY path of the x values (a step series of the same length)")
    s.add_argument("--logy", action="store_true", help="logarithmic y axis")

    s = command("follow", cmd_follow, "print new statements as they arrive", "Print each new statement of "
                "a log as it is written, until interrupted (Ctrl-C). When the log is rewritten (a "
                "compaction, a restart, a torn statement cut off) it says so and reads it again.")
    s.add_argument("--from-start", action="store_true", help="print the statements already there too")
    s.add_argument("--interval", type=positive_seconds, default=0.5, help="seconds between looks (default 0.5)")
    s.add_argument("--idle-timeout", type=seconds, default=None, help="stop after this many idle seconds")
    s.add_argument("--wait", type=seconds, default=None, metavar="SECONDS",
                   help="wait up to SECONDS for a missing file to appear (default: error at once)")
    return p


# Control characters (ESC starts a terminal's escape sequences; a hostile log can hold
# them raw in a string, a key or a session record) and the invisible or bidi-reordering
# ones (which make a statement read as another).  Written as \\uXXXX, which JSON and
# Python string literals read as the same character.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_UNPRINTABLE_ERR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class _Printable:
    """A text stream that writes what ``pattern`` matches as ``\\uXXXX`` escapes."""

    def __init__(self, stream: Any, pattern: Any):
        self._stream = stream
        self._pattern = pattern

    def write(self, text: str) -> int:
        self._stream.write(self._pattern.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Optional[Sequence[str]] = None) -> int:
    # A console that cannot encode a key (a Windows code page, LC_ALL=C) gets \\u escapes,
    # not a UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass
    stdout, stderr = sys.stdout, sys.stderr
    # (stderr keeps \r: the progress line rewrites itself with it)
    sys.stdout, sys.stderr = _Printable(stdout, _UNPRINTABLE), _Printable(stderr, _UNPRINTABLE_ERR)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _main(argv: Optional[Sequence[str]]) -> int:
    args = build_parser().parse_args(argv)
    args.symbols = dict(args.symbol)
    try:
        return args.run(args)
    except BrokenPipeError:  # `laaos export ... | head`
        return 0
    except UnknownSymbolError as e:
        unsafe = unsafe_statement(e)
        if unsafe:  # never advise passing it: the log would run it
            # (not the loader's message, which advises passing the name)
            print(f"laaos {args.command}: {e.path}:{e.line}: DAMAGED: {unsafe_why(unsafe)}\n"
                  f"  `laaos check {args.file}` lists the damage and `laaos recover {args.file}` "
                  "moves it aside", file=sys.stderr)
        else:
            print(f"laaos {args.command}: {e}\n  the log is not damaged: pass {symbol_hint([e.name])}",
                  file=sys.stderr)
        return 1
    except (CommandError, LaaosError, OSError, UnicodeError, RecursionError) as e:
        print(f"laaos {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
