"""The ``laaos`` command: look at, check, repair, export, plot and follow logs.

    laaos show FILE [KEY ...]        the store as a tree: keys, types, lengths, latest values
    laaos check FILE...              statements, size, torn tail, bad statements (exit 1 if damaged);
                                     of a sweep: a line per log that is not OK, a summary
                                     (--quiet: the summary alone, --json: for scripts)
    laaos compact FILE [-o OUT]      the log as one statement (in place without -o)
    laaos compact FILE... -o DIR     each log as one statement, into DIR (or --in-place)
    laaos recover FILE... [--dry-run]  keep every good statement, move the bad bytes aside
    laaos export FILE [-o OUT.json]  the store as JSON
    laaos plot FILE... KEY... -o PNG line plots of numeric series (needs laaos[plot])
    laaos compare FILE...            a table of runs: differing values, last values of series
    laaos diff A B                   what differs between two runs
    laaos follow FILE                print new statements as they arrive

FILE... is any number of logs: names, a folder (the laaos logs under it), a quoted glob
pattern, or '-' (names read from standard input); see ``logfiles``.

Exit status: 0 on success, 1 when a log is damaged or a command fails, 2 on bad usage,
130 when interrupted (Ctrl-C); ``diff --exit-code``: 1 when the runs differ, 2 on an error.

The modules of this package, one a command or a concern the commands share:

    show, check, rewrite (compact, recover), export, plot, follow, compare, diff   the commands
    sweep_check, sweep_rewrite   check, recover and compact of FILE... (one log: the above)
    sweep      one log or a sweep, a sweep's logs, checking them in worker processes
    columns    a store as named values and series   manylogs   the logs of compare and plot, loaded
    logfiles   what FILE... stands for         keys       KEY paths down a store
    symbols    --symbol, and what to say about one
    loading    the log FILE, loaded            escaping   output safe for a terminal
    failures   CommandError and the one line a failed command prints
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence

from .._version import __version__
from ..errors import LaaosError
from .escaping import printable_output
from .failures import CommandError, UsageError, report
from .keys import KEY_HELP
from .logfiles import FILES_HELP
from .symbols import SYMBOL_HELP, symbol_spec

__all__ = ["main", "build_parser", "CommandError"]

INTERRUPTED = 128 + 2  # the shell's status for a command ended by SIGINT


def _amount(text: str, convert: Any, what: str, above_zero: bool) -> Any:
    """``convert(text)``, finite and not negative (above zero with ``above_zero``), or the
    error that names ``what`` was expected."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a {what}") from None
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a {what} >= 0")
    if above_zero and not value:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a {what} > 0")
    return value


def seconds(text: str) -> float:
    """An option's number of seconds: finite and not negative."""
    return _amount(text, float, "number of seconds", False)


def positive_seconds(text: str) -> float:
    """``seconds``, above zero (an interval of 0 would spin a core)."""
    return _amount(text, float, "number of seconds", True)


def encoding_name(text: str) -> str:
    """An option's text encoding: one Python knows."""
    import codecs

    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an encoding Python knows (e.g. cp1252, latin-1)") from None
    return text


def not_negative(text: str) -> int:
    """An option's whole number, 0 or more."""
    return _amount(text, int, "whole number", False)


def positive(text: str) -> int:
    """``not_negative``, above zero (a count of processes)."""
    return _amount(text, int, "whole number", True)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter that keeps descriptions as written, as wide as the terminal:
    the width found as ``shutil.get_terminal_size`` finds it (argparse imports shutil for
    it, and with it zlib, bz2 and lzma, in every command that adds an argument)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: Optional[int] = None):
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _MissingArguments(Exception):
    """A parse found required arguments missing (``_CommandParser`` looks for unknown ones first)."""


class _CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: options and KEYs in any order (``export run.py -o out.json
    losses`` as ``export run.py losses -o out.json``; argparse's own parse takes a list
    of positionals in one run, and an option would end it); ``--`` ends the options (a
    log named ``-x.py``); an unknown option is said before a missing argument."""

    _args: Optional[List[str]] = None  # (set while a parse runs: the arguments it reads)
    _probing = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._args is not None:  # (the intermixed parse calls back here for each of its passes)
            return super().parse_known_args(args, namespace)
        args = list(sys.argv[1:] if args is None else args)
        literal: Dict[str, str] = {}
        if "--" in args:
            # argparse's intermixed parse loses the "--" between its passes, and reads what
            # follows as options: each is given to it as a word that is no option, and put back
            end = args.index("--")
            literal = {f"\0{n}": arg for n, arg in enumerate(args[end + 1:])}
            args = args[:end] + list(literal)
        self._args = args
        try:
            try:
                namespace, extras = self.parse_known_intermixed_args(args, namespace)
            except _MissingArguments as missing:  # (raised in a pass, with its changes to the actions undone)
                unknown = [literal.get(a, a) for a in self._unknown(args)]
                super().error(f"unrecognized arguments: {' '.join(unknown)}" if unknown else str(missing))
        finally:
            self._args = None
        for name, value in vars(namespace).items():
            if isinstance(value, str):
                setattr(namespace, name, literal.get(value, value))
            elif isinstance(value, list):
                setattr(namespace, name, [literal.get(v, v) if isinstance(v, str) else v for v in value])
        return namespace, [literal.get(a, a) for a in extras]

    def error(self, message: str) -> Any:
        """Exit with ``message`` and the usage (status 2); an unknown option first, not the
        missing arguments it may have stood for (``check --bogus``): see ``parse_known_args``."""
        if self._args is not None and not self._probing and message.startswith("the following arguments are required"):
            raise _MissingArguments(message)
        super().error(message)

    def _unknown(self, args: List[str]) -> List[str]:
        """The arguments of ``args`` that no option or positional takes (none required)."""
        required = [(action, action.required) for action in self._actions]
        self._probing = True
        try:
            for action, _ in required:
                action.required = False
            return self.parse_known_intermixed_args(args)[1]
        finally:
            for action, was in required:
                action.required = was
            self._probing = False


def build_parser() -> argparse.ArgumentParser:
    """The ``laaos`` command line: a subcommand each, run by the function its ``run`` names."""
    p = argparse.ArgumentParser(prog="laaos", description="Look at, check and repair laaos logs.",
                                formatter_class=_Formatter,
                                epilog=KEY_HELP + "\n" + SYMBOL_HELP + "\nExit status: 0 on success, 1 when a "
                                       "log is damaged or a command fails, 2 on bad usage, 130 when "
                                       "interrupted (Ctrl-C).")
    p.add_argument("--version", action="version", version=f"laaos {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_CommandParser)
    p.commands = sub.choices  # type: ignore[attr-defined]  # (a command's parser: for its usage errors)
    symbols = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    symbols.add_argument("--symbol", action="append", type=symbol_spec, default=[], metavar="SPEC",
                         help="a name the log uses: MODULE, MODULE:NAME or ALIAS=MODULE:NAME (repeatable)")

    encoding = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    encoding.add_argument("--encoding", type=encoding_name, default=None, metavar="NAME",
                          help="the log's encoding if not UTF-8: cp1252 for a log laaos 2.1.1 wrote on Windows")

    def command(name: str, run: str, help: str, description: str, *, keys: bool = False,
                files: bool = False, reads: bool = True, file: Optional[str] = None) -> Any:
        """A subcommand: each takes a log FILE as its first argument (``files=True``: one or
        more, as ``args.files``, see ``logfiles``) and is run by the function ``run`` names
        (``MODULE:FUNCTION`` of this package), whose module is imported once the arguments
        are read (see ``runner``); ``reads``: it reads whole logs (``--encoding``); ``file``:
        the name of the log in the usage line (default: file)."""
        epilog = (KEY_HELP if keys else "") + "\n" + (FILES_HELP + "\n" if files else "") + SYMBOL_HELP
        s = sub.add_parser(name, help=help, description=description, epilog=epilog,
                           parents=[symbols, encoding] if reads else [symbols], formatter_class=_Formatter)
        if files:
            s.add_argument("files", nargs="+", metavar="FILE")
        else:
            s.add_argument("file", metavar=file)
        s.set_defaults(run=run)
        return s

    s = command("show", "show:cmd_show", "the store as a tree", "Show a log's store as a tree: keys, types, "
                "lengths of lists, the latest values of series.", keys=True)
    s.add_argument("key", nargs="*", default=[], help="a KEY path to walk down to (several are joined)")

    s = command("check", "sweep_check:cmd_check", "check logs for damage", "Count statements and check for a "
                "torn tail or bad statements; exit status 1 when damaged, torn or empty. Statements that "
                "name a symbol not passed are not damage: check says which symbols to pass. One FILE: a "
                "report on that log; several (a sweep): a line for each log that is not OK, then a "
                "summary line.", files=True)
    shown = s.add_mutually_exclusive_group()
    shown.add_argument("-q", "--quiet", action="store_true", help="print the summary line only")
    shown.add_argument("--json", action="store_true",
                       help="print each log's findings and the summary as JSON")
    s.add_argument("-j", "--jobs", type=positive, default=None, metavar="N",
                   help="check in N processes (default: one per core for sweeps of 32 MiB or more, "
                        "else one)")

    s = command("compact", "sweep_rewrite:cmd_compact", "rewrite logs as one statement each", "Rewrite each "
                "log as one statement of its store (atomically). Reads FILE only (it needs no write access "
                "to it with -o). A torn last statement is not part of the store: it is kept in "
                "OUT.torn_<time>. One FILE is rewritten in place without -o; several, with -o DIR or "
                "--in-place.", files=True)
    where = s.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT",
                       help="write here instead of replacing FILE: a file for one FILE, a folder for "
                            "several (or when OUT is a folder or ends in '/'), where each log is "
                            "written at its path below the folder the logs share")
    where.add_argument("--in-place", action="store_true", help="rewrite each log where it is")
    s.add_argument("--force", action="store_true",
                   help="replace OUT even if it is not a laaos log (it is refused otherwise)")

    s = command("recover", "sweep_rewrite:cmd_recover", "repair damaged logs", "Keep every statement that "
                "loads; move bad statements and a torn tail, byte for byte, to FILE.rejected_<time>. "
                "Well-formed statements that name a symbol not passed are kept; sound logs are left as "
                "they are.", files=True)
    s.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    s.add_argument("--force", action="store_true",
                   help="take FILE for a log whose first statement is damaged (a file that is not a "
                        "laaos log is refused otherwise)")

    s = command("export", "export:cmd_export", "the store as JSON", "Write the store as JSON. Sets become sorted "
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

    s = command("plot", "plot:cmd_plot", "plot numeric series of one or more logs to an image", "Line "
                "plots of numeric series: each KEY path names a list of numbers, or a field of a list "
                "of dicts (metrics.acc); one line per log and KEY. An argument that is an existing "
                "path (a file, or a folder of logs) or '-' is a FILE, any other a KEY. The x axis is "
                "the index in the list, or the series --x names. Needs matplotlib (the 'plot' extra).",
                keys=True, files=True)
    s.add_argument("key", nargs="*", metavar="KEY", help="a KEY path of a series to plot")
    s.add_argument("-o", "--output", required=True, help="the image file (.png, .svg, .pdf)")
    s.add_argument("--x", help="a KEY path of the x values (a step series of the same length)")
    s.add_argument("--label", metavar="KEY", help="label each log's lines by this KEY's value "
                   "(config.lr), not by the log's name")
    s.add_argument("--logy", action="store_true", help="logarithmic y axis")

    s = command("compare", "compare:cmd_compare", "a table of runs, one row each", "A row per log: the "
                "values that differ between the runs (config.lr), then for each numeric series its "
                "last value (KEY[-1]) and the length of its list (len(KEY)); -k picks the columns "
                "instead. A log that does not load is reported and left out (exit status 1); a "
                "torn one is marked in its row.", keys=True, files=True)
    s.add_argument("-k", "--key", action="append", metavar="KEY",
                   help="a column: a KEY path, or len(KEY) (repeatable; a key a run lacks is an empty cell; "
                        "one that no run has is said on stderr, with exit status 0)")
    s.add_argument("--sort", metavar="KEY", help="order the rows by this column or KEY (runs without it last; "
                   "a KEY no run has is said on stderr)")
    s.add_argument("--reverse", action="store_true", help="the reverse order")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="table (default: aligned, cut to the terminal's width; newlines and tabs in a "
                        "cell as \\n, \\t), or csv or json (whole). In every format a log's control "
                        "and bidi characters are written as \\uXXXX escapes (terminal safety)")

    s = command("diff", "diff:cmd_diff", "what differs between two runs", "What differs between the logs A "
                "and B: single values (added +, removed -, changed ~ with both values), session "
                "records (git commit, dirty, branch, argv, host) and per numeric series its length "
                "and last value. Exit status 0 (a report), or 1 when a log cannot be read; with "
                "--exit-code (as git diff --exit-code and diff(1)): 0 when they are the same, 1 when "
                "they differ, 2 when a log cannot be read.", file="A")
    s.add_argument("other", metavar="B", help="the second log")
    s.add_argument("--exit-code", action="store_true",
                   help="exit with 1 when the runs differ, 0 when not, 2 on an error")

    s = command("follow", "follow:cmd_follow", "print new statements as they arrive", "Print each new statement of "
                "a log as it is written, until interrupted (Ctrl-C). When the log is rewritten (a "
                "compaction, a restart, a torn statement cut off) it says so and reads it again.", reads=False)
    s.add_argument("--from-start", action="store_true", help="print the statements already there too")
    s.add_argument("--interval", type=positive_seconds, default=0.5, help="seconds between looks (default 0.5)")
    s.add_argument("--idle-timeout", type=seconds, default=None, help="stop after this many idle seconds")
    s.add_argument("--wait", type=seconds, default=None, metavar="SECONDS",
                   help="wait up to SECONDS for a missing file to appear (default: error at once)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``laaos ARGV...`` (``sys.argv[1:]`` when None); return the exit status: 0 on
    success, 1 when a log is damaged or the command fails (2 with ``diff --exit-code``),
    130 when interrupted (Ctrl-C).  Bad usage exits with 2, from ``argparse``."""
    with printable_output():
        try:
            return _main(argv)
        except KeyboardInterrupt:  # (while the arguments are read: `--symbol` imports)
            print("laaos: interrupted", file=sys.stderr)
            return INTERRUPTED


def runner(run: str) -> Callable[[argparse.Namespace], int]:
    """The function ``run`` (``MODULE:FUNCTION``) names, its module imported now."""
    import importlib

    module, _, function = run.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # (the command's own usage, which lists its options, not the list of commands)
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    args.symbols = dict(args.symbol)
    try:
        return runner(args.run)(args)
    except UsageError as e:  # (exits with 2)
        parser.commands[args.command].error(str(e))
    except BrokenPipeError:  # `laaos export ... | head`
        return 0
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback (`follow` ends this way, with 0)
        print(f"laaos {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except (CommandError, LaaosError, OSError, UnicodeError, RecursionError, ImportError) as e:
        # (UnknownSymbolError is a LaaosError: `report` says whether to pass the symbol;
        # ImportError: the backend, loaded at first use, with LAAOS_REQUIRE_EXTENSIONS=1)
        report(args, e)
        # `diff --exit-code` says "they differ" with 1: an error is 2 there, as in git diff and diff(1)
        return 2 if getattr(args, "exit_code", False) else 1
