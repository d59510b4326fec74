"""Where a writer session ran: time, machine, process, command, versions, git, scheduler.

``session_info()`` gathers what a session record holds (see ``laaos.runs``).  Everything
is read without starting a process: the git commit comes from the files under ``.git``
(``HEAD``, loose refs, ``packed-refs``; a worktree's ``.git`` file and ``commondir``), and
every probe that fails leaves its field ``None`` rather than stopping the run.
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import os
import platform
import socket
import struct
import sys
import time
from typing import Any, Dict, Optional

# Job ids of the schedulers a run may be started by, recorded when set.
SCHEDULER_VARIABLES = (
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_PROCID",
    "PBS_JOBID",
    "PBS_ARRAY_INDEX",
    "PBS_ARRAYID",
    "LSB_JOBID",
    "LSB_JOBINDEX",
    "JOB_ID",  # Grid Engine
    "SGE_TASK_ID",
    "FLUX_JOB_ID",
    "COBALT_JOBID",
    "CONDOR_JOB_ID",
    "AWS_BATCH_JOB_ID",
    "AWS_BATCH_JOB_ARRAY_INDEX",
)

# The dirty check stats every tracked file, as ``git status`` does first; past these
# bounds (a huge checkout, a slow network filesystem) it gives up and says "unknown".
DIRTY_MAX_FILES = 20000
DIRTY_MAX_SECONDS = 0.25


def session_info(**extra: Any) -> Dict[str, Any]:
    """What a session record says about this process (``extra`` is added as is)."""
    from . import __version__

    cwd = _safe(os.getcwd)
    info: Dict[str, Any] = {
        "time": utc_now(),
        "host": _safe(socket.gethostname),
        "pid": os.getpid(),
        "user": _safe(getpass.getuser),
        "argv": redacted_argv(sys.argv),
        "cwd": cwd,
        "python": platform.python_version(),
        "laaos": __version__,
        "git": _safe(git_info, cwd) if cwd else None,
        "jobs": {name: os.environ[name] for name in SCHEDULER_VARIABLES if os.environ.get(name)},
    }
    info.update(extra)
    return info


# A log is shared with colleagues and papers; a secret on the command line must not go
# with it.  The value of an option whose name says it holds one is replaced.
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "credential", "auth")
REDACTED = "<redacted>"


def redacted_argv(argv: Any) -> list:
    """``argv`` with the values of secret-looking options (``--api-key X``,
    ``--token=X``, ``--wandb-password X``) replaced by ``<redacted>``."""
    out = []
    hide_next = False
    for arg in argv:
        arg = str(arg)
        if hide_next and not arg.startswith("-"):
            out.append(REDACTED)
            hide_next = False
            continue
        hide_next = False
        name, eq, _ = arg.partition("=")
        secret = arg.startswith("-") and any(w in name.lower() for w in _SECRET_WORDS)
        if secret and eq:
            out.append(f"{name}={REDACTED}")
        else:
            out.append(arg)
            hide_next = secret
    return out


def utc_now() -> str:
    """The time now in UTC, ISO 8601 to the second (``2026-11-27T05:42:00+00:00``)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _safe(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # a probe that fails (no user name, unreadable .git) is unknown
        return None


def git_info(path: str) -> Optional[Dict[str, Any]]:
    """The git checkout that holds ``path``: ``{"root", "commit", "branch", "dirty"}``,
    or ``None`` outside a checkout.  ``dirty`` is ``True`` when a tracked file differs
    from the index, ``False`` when none does, ``None`` when that cannot be decided cheaply
    (see ``worktree_dirty``)."""
    root = os.path.abspath(path)
    while True:
        dotgit = os.path.join(root, ".git")
        if os.path.isdir(dotgit):
            gitdir = dotgit
            break
        if os.path.isfile(dotgit):  # a worktree or submodule: "gitdir: <path>"
            text = _read(dotgit)
            if not text.startswith("gitdir:"):
                return None
            gitdir = os.path.normpath(os.path.join(root, text[len("gitdir:") :].strip()))
            break
        parent = os.path.dirname(root)
        if parent == root:
            return None
        root = parent
    common = gitdir
    if os.path.isfile(os.path.join(gitdir, "commondir")):
        common = os.path.normpath(os.path.join(gitdir, _read(os.path.join(gitdir, "commondir")).strip()))
    head = _read(os.path.join(gitdir, "HEAD")).strip()
    branch = None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref
        commit = _resolve(ref, gitdir, common)
    else:
        commit = head  # a detached HEAD holds the commit itself
    return {"root": root, "commit": commit, "branch": branch, "dirty": worktree_dirty(root, gitdir)}


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _resolve(ref: str, gitdir: str, common: str, depth: int = 0) -> Optional[str]:
    """The commit a ref names: a loose ref file, else ``packed-refs``; ``None`` for a
    branch with no commit yet."""
    if depth > 5:
        return None
    for base in (gitdir, common):
        path = os.path.join(base, *ref.split("/"))
        if os.path.isfile(path):
            text = _read(path).strip()
            if text.startswith("ref:"):
                return _resolve(text[4:].strip(), gitdir, common, depth + 1)
            return text or None
    packed = os.path.join(common, "packed-refs")
    if os.path.isfile(packed):
        for line in _read(packed).splitlines():
            if line[:1] in ("#", "^"):
                continue
            sha, _, name = line.partition(" ")
            if name.strip() == ref:
                return sha
    return None


def worktree_dirty(root: str, gitdir: str) -> Optional[bool]:
    """Whether a tracked file of the checkout at ``root`` differs from git's index.

    Decided as ``git diff --quiet`` decides it, without running git: a file whose size
    differs, or that is missing, is changed; a file whose modification time differs from
    the index's (or is as new as the index, "racily clean") is hashed and compared with
    the staged blob.  Not seen: changes staged but not committed, and untracked files.
    A file under a clean filter (git-lfs, ``core.autocrlf``) whose time differs from the
    index's counts as changed, since its blob is not the file's bytes.
    ``None`` (unknown) for index formats this does not read (version 4, split index), or
    when the check would pass ``DIRTY_MAX_FILES`` files or ``DIRTY_MAX_SECONDS``.
    """
    index_path = os.path.join(gitdir, "index")
    try:
        with open(index_path, "rb") as f:
            index = f.read(12)
            if len(index) < 12 or index[:4] != b"DIRC":
                return None
            version, count = struct.unpack(">II", index[4:12])
            if version not in (2, 3) or count > DIRTY_MAX_FILES:
                return None  # (before reading the index of a huge checkout)
            index += f.read()
            index_mtime = os.fstat(f.fileno()).st_mtime_ns
    except OSError:
        return None
    deadline = time.monotonic() + DIRTY_MAX_SECONDS
    pos = 12
    entries = []
    for _ in range(count):
        (_cs, _cn, ms, mns, _dev, _ino, mode, _uid, _gid, size) = struct.unpack(">10I", index[pos : pos + 40])
        sha = index[pos + 40 : pos + 60]
        (flags,) = struct.unpack(">H", index[pos + 60 : pos + 62])
        fixed = 62
        extended = 0
        if version == 3 and flags & 0x4000:
            (extended,) = struct.unpack(">H", index[pos + 62 : pos + 64])
            fixed = 64
        name = index[pos + fixed : index.index(b"\0", pos + fixed)]
        pos += (fixed + len(name) + 8) & ~7  # NUL-padded to a multiple of 8 bytes
        if flags & 0x8000 or extended & 0x4000 or mode >> 12 in (0o16, 0o4):
            continue  # assume-unchanged, skip-worktree, a submodule, a sparse directory
        entries.append((name, ms, mns, size, sha))
    if _split_index(index, pos):
        return None
    for name, ms, mns, size, sha in entries:
        if time.monotonic() > deadline:
            return None
        path = os.path.join(root, os.fsdecode(name))
        try:
            st = os.lstat(path)
        except OSError:
            return True  # a tracked file was deleted
        if st.st_size & 0xFFFFFFFF != size:
            return True
        mtime = st.st_mtime_ns
        if (mtime // 1_000_000_000, mtime % 1_000_000_000) == (ms, mns) and mtime < index_mtime:
            continue
        if _blob_sha(path, st) != sha:
            return True
    return False


def _split_index(index: bytes, pos: int) -> bool:
    """Whether the index's extensions (after the entries) include a split index."""
    while pos + 8 <= len(index) - 20:  # the last 20 bytes are the checksum
        signature = index[pos : pos + 4]
        (size,) = struct.unpack(">I", index[pos + 4 : pos + 8])
        if signature == b"link":
            return True
        pos += 8 + size
    return False


def _blob_sha(path: str, st: os.stat_result) -> Optional[bytes]:
    """The git blob id of the file (or symlink) at ``path``."""
    import stat

    if stat.S_ISLNK(st.st_mode):
        data = os.fsencode(os.readlink(path))
    else:
        with open(path, "rb") as f:
            data = f.read()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).digest()
