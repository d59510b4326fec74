"""File stores: opening a log (new, reopened with repair, or re-opened in this process),
durability and ``compact``.

One writer per log: ``open_file_store`` holds an exclusive ``flock`` on the file while the
store is open (``laaos._fileops.FileLog``).  Nothing is written over or into a file that
is not a laaos log (``laaos._logfile``) unless the caller says so.
"""

from __future__ import annotations

import io
import os
import weakref
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import _backend
from ._fileops import (
    REWRITE_ADVICE,
    FileLog,
    file_chunks,
    fsync_dir,
    replace_synced,
    require_file,
    sidecar_name,
    write_synced,
)
from ._logfile import check_log
from ._records import SHOWN, Record, record_line, scan
from ._values import Values
from .errors import LogReopenedWarning, MarkError, LogSyntaxError, TornTailWarning, warn_at_caller
from .handlers import TypeHandler
from .helpers import ensure_dirs, generate_run_id
from .loader import LEGACY_ENCODING, collector_paused, finish, new_parser, with_encoding_hint
from .store import Store, StoreRoot, buffering


def open_file_store(
    store_name: str = "results",
    suffix: Optional[str] = None,
    ext: str = ".py",
    prefix: str = "laaos/",
    *,
    truncate: bool = False,
    initial_data: Optional[Mapping] = None,
    type_handlers: Optional[Sequence[TypeHandler]] = None,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    durability: str = "flush",
    buffer_size: int = 1 << 16,
    flush_interval: float = 1.0,
    provenance: bool = True,
    rewind_to: Optional[str] = None,
    overwrite: bool = False,
) -> StoreRoot:
    """Open the log ``{prefix}{store_name}{suffix}{ext}`` for writing and return its store.

    A new (or empty) log starts with ``initial_data``.  An existing log is loaded with the
    safe loader (``exposed_symbols`` / ``extra_mappings`` as for ``safe_load``) and
    appended to; a torn last statement is cut off into a sidecar file
    ``LOG.torn-TIME`` first.  ``truncate=True`` starts the log afresh.
    ``suffix=None`` uses the start time and process id (``generate_run_id``: runs started
    in the same second get logs of their own).  The file is locked against other writers
    until the store is closed.  ``durability`` is ``"flush"`` (default), ``"fsync"`` or
    ``"buffered"``; see the README.

    Each session appends a record of where it ran (time, host, user, command, git
    commit, scheduler job ids; ``laaos.load(path).sessions``) unless
    ``provenance=False``.  ``rewind_to=label`` reopens the log at the state it had at
    its last ``root.mark(label)`` and carries on from there; what came after the mark
    stays in the file as history.

    A file that is not a laaos log (a script of the same name) is refused
    (``NotALogError``) and left as it was; ``truncate=True, overwrite=True`` replaces it.
    A log that a store of this process holds (a notebook cell run again) is taken over:
    the older store writes what it buffered and is closed, with a
    ``LogReopenedWarning``, and this store carries on from all it wrote.  A log that
    another process holds is refused (``StoreLockedError``, naming that process).
    """
    if truncate and rewind_to is not None:
        raise ValueError("rewind_to= cannot be combined with truncate=True")
    return _open_store(
        _log_path(store_name, suffix, ext, prefix),
        truncate=truncate,
        restart=False,
        initial_data=initial_data,
        type_handlers=type_handlers,
        exposed_symbols=exposed_symbols,
        extra_mappings=extra_mappings,
        durability=durability,
        buffer_size=buffer_size,
        flush_interval=flush_interval,
        provenance=provenance,
        rewind_to=rewind_to,
        overwrite=overwrite,
    )


def create_file_store(
    store_name: str = "results",
    suffix: Optional[str] = None,
    ext: str = ".py",
    prefix: str = "laaos/",
    truncate: bool = False,
    initial_data: Optional[Mapping] = None,
    *,
    type_handlers: Optional[Sequence[TypeHandler]] = None,
    durability: str = "flush",
    buffer_size: int = 1 << 16,
    flush_interval: float = 1.0,
    overwrite: bool = False,
) -> StoreRoot:
    """The older name, with the older positional order and behaviour: an existing log
    is kept, and a new store (``store = ...``) is appended after it, so loading gives the
    new run.  Prefer ``open_file_store``, which carries on the existing store.  A file
    that is not a laaos log is refused unless ``overwrite=True``, as in ``open_file_store``."""
    return _open_store(
        _log_path(store_name, suffix, ext, prefix),
        truncate=truncate,
        restart=True,
        initial_data=initial_data,
        type_handlers=type_handlers,
        durability=durability,
        buffer_size=buffer_size,
        flush_interval=flush_interval,
        overwrite=overwrite,
    )


def _log_path(store_name: str, suffix: Optional[str], ext: str, prefix: str) -> str:
    """The log's path as the openers name it; ``suffix=None`` is a new run id."""
    return f"{prefix}{store_name}{generate_run_id() if suffix is None else suffix}{ext}"


def _open_store(
    filename: str,
    *,
    truncate: bool,
    restart: bool,
    initial_data: Optional[Mapping],
    type_handlers: Optional[Sequence[TypeHandler]],
    durability: str,
    buffer_size: int,
    flush_interval: float,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    provenance: bool = False,
    rewind_to: Optional[str] = None,
    overwrite: bool = False,
) -> StoreRoot:
    # Checked before the file is made or a session record written, so that a bad
    # argument leaves no log behind and changes none.
    from ._writer import DURABILITIES  # (here: with the extension, a store needs no more of the pure writer)

    if durability not in DURABILITIES:
        raise ValueError(f"durability must be one of {DURABILITIES}, not {durability!r}")
    if initial_data is not None and not isinstance(initial_data, Mapping):
        raise TypeError(f"initial_data must be a dict, not {type(initial_data).__name__}")
    buffer_size, flush_interval = buffering(buffer_size, flush_interval)  # (converted once)
    ensure_dirs(filename)
    created = not os.path.exists(filename)
    log = FileLog(filename, give_way=lambda older: _give_way(older, filename))
    try:
        if not created and not overwrite:
            _refuse_other_files(log, filename, truncate=truncate, restart=restart)
        if truncate:
            os.ftruncate(log.fileno(), 0)
        rewind = None
        if rewind_to is not None:  # before the tail is repaired: a refused rewind changes nothing
            rewind = find_rewind(log, filename, rewind_to, exposed_symbols, extra_mappings)
        existing = None
        if os.fstat(log.fileno()).st_size:
            existing = _load_for_append(log, filename, exposed_symbols, extra_mappings)
        existing = begin_session(
            log, existing, rewind, provenance=provenance, durability=durability, type_handlers=type_handlers
        )
        store = Store(
            log,
            uri=filename,
            initial_data=existing if existing is not None and not restart else initial_data,
            type_handlers=type_handlers,
            append_mode=existing is not None and not restart,
            durability=durability,
            buffer_size=buffer_size,
            flush_interval=flush_interval,
        )
        log.owner = weakref.ref(store)  # (what a later open of this log in this process closes)
        if created and durability == "fsync":
            fsync_dir(filename)
    except BaseException:
        if created:
            # A value that cannot be stored in initial_data leaves no log behind either;
            # the lock is still ours, so no other writer has it open.
            os.unlink(filename)
        log.close()
        raise
    return store.root


def _give_way(older: Store, filename: str) -> None:
    """Close the store of this process that holds ``filename`` (opened by a notebook cell
    that is run again), writing its buffer first, so that a new store can open it."""
    older.close()  # (if its buffer cannot be written, this raises and nothing is opened)
    warn_at_caller(LogReopenedWarning(
        f"{filename} was open in this process (a store opened earlier, by a cell run before?): "
        "that store wrote what it held and is closed now (writes to it raise StoreClosedError); "
        "the new store carries on from everything it wrote"
    ))


def _refuse_other_files(log: FileLog, filename: str, *, truncate: bool, restart: bool) -> None:
    """Refuse to open a file that is not a laaos log, before anything changes it."""
    if truncate:
        would, how = "truncate=True would empty it", "pass overwrite=True to empty it anyway"
    elif restart:
        would = "create_file_store would append a new store to it"
        how = "pass truncate=True, overwrite=True to replace it"
    else:
        would = "open_file_store would load it and append to it"
        how = ("pass truncate=True, overwrite=True to replace it; if it is a laaos log whose first "
               f"statement is damaged, `laaos recover --force {filename}` keeps what loads")
    check_log(filename, log.read_all(), would, f"Open a log of another name, or {how}.")


def _load_for_append(log: FileLog, filename: str, exposed_symbols: Any, extra_mappings: Any) -> Any:
    """Load an existing log before appending; cut a torn tail off into a sidecar."""
    parser = new_parser(filename, exposed_symbols, extra_mappings)
    size = 0
    try:
        with collector_paused():
            for chunk in log.read_all():
                size += len(chunk)
                parser.feed(chunk)
    except LogSyntaxError as e:  # appending UTF-8 would leave a log of two encodings
        raise with_encoding_hint(e, f"write it as UTF-8 first: laaos compact --encoding {LEGACY_ENCODING} "
                                    f"{filename}") from None
    result = finish(parser, filename, size, warn=False, allow_empty=True)
    if result.dropped_bytes:
        tail = b"".join(log.read_all())[result.valid_bytes :]
        sidecar = None
        if tail.strip(b" \t\r\n"):
            sidecar = sidecar_name(filename)
            write_synced(sidecar, tail)
        os.ftruncate(log.fileno(), result.valid_bytes)
        if result.dropped_statements or sidecar:
            warn_at_caller(
                TornTailWarning(
                    f"{filename}:{parser.tail_line}: cut off an incomplete last statement "
                    f"({result.dropped_bytes} bytes, kept in {sidecar}) before appending"
                )
            )
    return result.store


def compact(
    source_path: str,
    destination_path: str,
    *,
    exposed_symbols: Optional[Iterable[Any]] = None,
    extra_mappings: Optional[Mapping[str, Any]] = None,
    type_handlers: Optional[Sequence[TypeHandler]] = None,
    overwrite: bool = False,
    encoding: Optional[str] = None,
) -> None:
    """Write the store of ``source_path`` to ``destination_path`` as one statement (or
    as few as the loader's limits allow).  ``encoding=`` reads a source that is not
    UTF-8 (``"cp1252"``: laaos 2.1.1 on Windows); the new log is UTF-8, as every log.

    The new log is written to a temporary file, synced and renamed over the
    destination, so a crash never leaves a half-written log.  A destination reached
    through a symlink is written through it, and an existing one keeps its mode (and
    owner where allowed).  A source or destination that a writer holds open (a store of
    this process too) is refused (``StoreLockedError``), and both stay locked until the
    new log is in place.  An existing destination that is not a laaos log is refused
    (``NotALogError``) unless ``overwrite=True``.  Symbols and handlers are needed only
    for logs that use them.
    """
    from .loader import load

    source_path, destination_path = os.fspath(source_path), os.fspath(destination_path)
    require_file(source_path)
    guards = [FileLog(source_path, read_only=True, advice=REWRITE_ADVICE)]
    made = None  # the file this call made, empty and locked, where no destination was
    try:
        in_place = os.path.exists(destination_path) and os.path.samefile(source_path, destination_path)
        if not in_place:
            destination, made = _lock_destination(destination_path)
            guards.append(destination)
        if not overwrite and made is None:
            refuse_other_destination(destination_path, guards[-1].read_all(), in_place=in_place)
        store = load(source_path, exposed_symbols, extra_mappings, encoding=encoding).store
        sessions = b"".join(session_records(source_path))  # provenance outlives history
        replace_synced(destination_path, sessions + compacted(store, type_handlers))
        made = None
    finally:
        if made is not None:  # the compaction failed: the empty file it made goes
            os.unlink(made)
        for guard in guards:
            guard.close()


def _lock_destination(path: str) -> Tuple[FileLog, Optional[str]]:
    """Lock the destination of a compaction, from before the load until the new log is in
    place: a writer that holds it is refused, and a writer that would start on it
    meanwhile is refused rather than replaced.  A destination that does not exist yet is
    made, empty (where a symlink points, if it is one): its path is returned too."""
    if not os.path.exists(path):
        real = os.path.realpath(path)
        ensure_dirs(real)
        try:
            return FileLog(real, read_only=True, new=True, advice=REWRITE_ADVICE), real
        except FileExistsError:  # (made by someone else just now)
            pass
    require_file(path)
    return FileLog(path, read_only=True, advice=REWRITE_ADVICE), None


def refuse_other_destination(path: str, chunks: Iterable[bytes], *, in_place: bool) -> None:
    """Refuse (``NotALogError``) to compact onto ``path`` (whose bytes are ``chunks``)
    when it is not a laaos log."""
    check_log(path, chunks, "compacting it in place would rewrite it" if in_place else "compacting would replace it",
              "Name another destination, or use `laaos compact --force` (overwrite=True) to replace it.")


def compacted(store: Any, type_handlers: Optional[Sequence[TypeHandler]] = None) -> bytes:
    """The log text of ``store`` (plain values, as loaded), the text a new store with it as
    ``initial_data`` writes: one statement where it fits the loader's limits, and where it
    does not (too deep, too long) several, as ``laaos._statements`` writes them.  No store
    and no proxy is made: the values go straight to the backend's writer."""
    out = io.StringIO()
    writer = _backend.impl.Writer(out, "flush")
    try:
        Values(type_handlers).write_store(writer, store or {}, loaded=True)
    finally:
        writer.close("compacted")
    text = out.getvalue()
    out.close()  # (its buffer goes before the text is encoded: a copy less at the peak)
    return text.encode("utf-8")


def session_records(path: str) -> List[bytes]:
    """The session record lines of the log at ``path``, for a rewrite (``compact``) to
    keep; marks and rewinds are history that a rewrite folds away."""
    return [record_line(r.kind, r.info) for r in scan(file_chunks(path)) if r.kind == "session" and r.end]


# ---- a writer session's start: its record, and a rewind to a mark ---------------------


class Rewind:
    """The mark a reopened log rewinds to, and the state the log had there."""

    def __init__(self, mark: Record, state: dict) -> None:
        self.mark = mark
        self.state = state


def find_rewind(log: Any, filename: str, label: str, exposed_symbols: Any, extra_mappings: Any) -> Rewind:
    """The last mark ``label`` of the open log and the log's state at it.

    Runs before the log is repaired or changed, so that a refused rewind leaves it as it
    was.  Raises ``MarkError`` for an unknown label (naming those that exist) and for a
    mark in a torn tail (a mark line without its newline, or inside an unfinished
    statement).
    """
    marks = [r for r in scan(log.read_all()) if r.kind == "mark"]
    chosen = [r for r in marks if r.label == label]
    if not chosen:
        labels = list(dict.fromkeys(r.label for r in marks if r.end and isinstance(r.label, str)))
        if not labels:
            have = ("the log's marks: none; `compact` folds marks away with the rest of the "
                    "history, so mark again after compacting")
        elif len(labels) > SHOWN:  # the latest, in the log's order
            have = (f"the log's {len(labels)} marks end with "
                    + ", ".join(repr(x) for x in labels[-SHOWN:]) + "; laaos.load(path).marks lists them all")
        else:
            have = "the log's marks: " + ", ".join(repr(x) for x in labels)
        raise MarkError(f"no mark {label!r} to rewind to ({have})", filename)
    target = chosen[-1]
    if not target.end:
        raise MarkError(
            f"the mark {label!r} is in the torn tail of the log (its line is incomplete)",
            filename,
            target.line,
        )
    parser = new_parser(filename, exposed_symbols, extra_mappings)
    left = target.end
    for chunk in log.read_all():
        parser.feed(chunk[:left])
        left -= len(chunk)
        if left <= 0:
            break
    state = parser.finish()
    if parser.open_statement or parser.valid_bytes != target.end:
        raise MarkError(
            f"the mark {label!r} is in a torn tail: it follows an incomplete statement",
            filename,
            target.line,
        )
    return Rewind(target, state if state is not None else {})


def begin_session(
    log: Any,
    existing: Any,
    rewind: Optional[Rewind],
    *,
    provenance: bool,
    durability: str,
    type_handlers: Any = None,
) -> Any:
    """Write the session record and the rewind (if any) to the open log, before the
    store is made on it; return the state the store starts from."""
    data = b""
    if provenance:
        from .provenance import session_info  # (imported when first needed, as in mark)

        data += record_line("session", session_info(resumed=existing is not None))
    if rewind is not None:
        from .provenance import utc_now

        info = {"label": rewind.mark.label, "mark_line": rewind.mark.line, "time": utc_now()}
        # The state as `store = ...` (the writer compact uses), which the original laaos
        # also executes to the same state, then the record: a crash that tears the
        # statement leaves no record claiming a rewind that did not happen.
        data += compacted(rewind.state, type_handlers) + record_line("rewind", info)
        existing = rewind.state
    if data:
        _append(log.fileno(), data, durability == "fsync", log.path)
    return existing


def _append(fd: int, data: bytes, sync: bool, path: str) -> None:
    """Append ``data`` whole or not at all, through the backend's writer (which cuts a
    write that fails part-way back off and names the log in the error), so a session
    that could not start leaves the log as it was."""
    writer = _backend.impl.Writer(fd, "fsync" if sync else "flush")
    writer.name = path
    writer.commit(data.decode("utf-8"), ())
