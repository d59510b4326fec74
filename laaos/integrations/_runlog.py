"""What the framework loggers share: a log of ``store["metrics"]`` rows and
``store["hparams"]`` that is opened on first use, marked at each checkpoint and rewound
to a checkpoint's mark when a run resumes from it.

A checkpoint's state includes the rows a framework logs after its checkpoint hook but
before the next training step begins (Lightning logs a step's metrics after
``ModelCheckpoint`` saved at that step): the mark is written when the checkpoint is made
and written again after each such row, and a rewind goes to the last mark of that label.
"""

from __future__ import annotations

import os
import secrets
from typing import Any, Dict, Mapping, Optional

from ..errors import UnsupportedTypeError
from ..files import compacted, open_file_store

_NAMING = ("store_name", "suffix", "ext", "prefix", "rewind_to")
_PLAIN = (int, float, str, bool, type(None))


def check_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The ``open_file_store`` options a logger passes on (the log's name is ``path``)."""
    for name in _NAMING:
        if name in options:
            raise TypeError(f"{name}= is not an option here: the log is the path given, and a resumed run "
                            "rewinds it to its checkpoint's mark by itself")
    return dict(options)


def plain(value: Any) -> Any:
    """A metric value as a plain Python number: tensors and numpy scalars by ``item()``
    (arrays by ``tolist()``); other values as they are."""
    if type(value) in _PLAIN:
        return value
    size = getattr(value, "numel", None) or getattr(value, "size", None)
    if callable(size):
        size = size()
    if size == 1 and hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _offending(value: Any, path: str, type_name: str) -> Optional[str]:
    """The subscript path (``['a']['b']``) of the first value of type ``type_name`` in
    ``value``, for an error that names the key."""
    if type(value).__name__ == type_name and not isinstance(value, (dict, list, tuple, set, frozenset)):
        return path
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _offending(item, f"{path}[{key!r}]", type_name)
        if found is not None:
            return found
    return None


class RunLog:
    """The log of one training run, as the framework loggers write it: opened on first use
    on rank zero only (``rank`` says which rank this process is)."""

    def __init__(self, path: str, options: Mapping[str, Any]):
        self.path = os.fspath(path)
        self.options = check_options(options)
        self.store: Any = None
        self.rewind_to: Optional[str] = None  # the label of the checkpoint this run resumed from
        # a checkpoint's label, marked again after each row until the next step begins
        self.pending: Optional[str] = None
        self.hparams: Dict[str, Any] = {}
        self._token = secrets.token_hex(4)
        self._marks = 0

    # ---- opening and resuming ----------------------------------------------------------

    def open(self) -> Any:
        """The store, opened (and rewound to ``rewind_to``) on first use."""
        if self.store is None:
            options = dict(self.options)
            if self.rewind_to is not None:
                options.pop("truncate", None)  # (a resumed run carries on its log)
                options["rewind_to"] = self.rewind_to
            store = open_file_store(self.path, suffix="", ext="", prefix="", **options)
            try:
                if "metrics" not in store:
                    store["metrics"] = []
                if self.hparams:
                    self._write_hparams(store)
            except BaseException:
                store.close()
                raise
            self.store = store
            self.rewind_to = None  # (done: a store reopened later, e.g. after finalize, carries on)
        return self.store

    def resume(self, label: Optional[str]) -> None:
        """This run carries on from the checkpoint marked ``label``: the log is (re)opened
        at that mark's state when next used."""
        if not label:
            return
        self.close()
        self.rewind_to = label
        self.pending = None

    def close(self) -> None:
        if self.store is not None:
            store, self.store = self.store, None
            store.close()

    # ---- writing ----------------------------------------------------------------------

    def log_row(self, row: Dict[str, Any]) -> None:
        store = self.open()
        for key, value in row.items():
            if type(value) not in _PLAIN:
                row[key] = plain(value)
        try:
            store["metrics"].append(row)
        except UnsupportedTypeError as e:
            raise self._unstorable(e, "store['metrics'][-1]", row) from None
        if self.pending is not None:
            store.mark(self.pending)

    def log_hparams(self, params: Mapping[str, Any]) -> None:
        """Merge ``params`` into ``store["hparams"]`` (written at once if the log is open,
        else when it opens: a resumed run's rewind comes first)."""
        merged = dict(self.hparams)
        merged.update(params)
        try:  # (checked now, not when the log opens: the error names the caller's line)
            compacted({"hparams": merged}, self.options.get("type_handlers"))
        except UnsupportedTypeError as e:
            raise self._unstorable(e, "store['hparams']", merged) from None
        if self.store is not None:
            self._write_hparams(self.store, merged)
        self.hparams = merged

    def _write_hparams(self, store: Any, hparams: Optional[Dict[str, Any]] = None) -> None:
        hparams = self.hparams if hparams is None else hparams
        try:
            store["hparams"] = hparams
        except UnsupportedTypeError as e:
            raise self._unstorable(e, "store['hparams']", hparams) from None

    def _unstorable(self, error: UnsupportedTypeError, where: str, value: Any) -> UnsupportedTypeError:
        type_name = str(error).split("value of type ", 1)[-1].split(":", 1)[0]
        found = _offending(value, "", type_name)
        return UnsupportedTypeError(f"{self.path}: {where}{found or ''}: {error}")

    def mark_checkpoint(self, step: Any) -> str:
        """Mark the log for a checkpoint being made and return the mark's label, which the
        checkpoint keeps; rows logged before the next step are marked again."""
        self._marks += 1
        label = f"checkpoint step {step} ({self._token}-{self._marks})"
        self.open().mark(label)
        self.pending = label
        return label

    def step_begins(self) -> None:
        """A new training step begins: it no longer belongs to the last checkpoint."""
        self.pending = None
