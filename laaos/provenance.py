"""Where a writer session ran: time, machine, process, command, versions, git, scheduler.

``session_info()`` gathers what a session record holds (see ``laaos.runs``).  Everything
is read without starting a process: the git commit comes from the files under ``.git``
(``HEAD``, loose refs, ``packed-refs``; a worktree's ``.git`` file and ``commondir``), and
every probe that fails leaves its field ``None`` rather than stopping the run.
"""

from __future__ import annotations

import os
import struct
import sys
import time
from stat import S_ISLNK
from typing import Any, Dict, Optional, Tuple

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
    from ._version import __version__

    cwd = _safe(os.getcwd)
    info: Dict[str, Any] = {
        "time": utc_now(),
        "host": _safe(hostname),
        "pid": os.getpid(),
        "user": _safe(user_name),
        "argv": redacted_argv(sys.argv),
        "cwd": cwd,
        "python": sys.version.split()[0],  # (as platform.python_version() reads it)
        "laaos": __version__,
        "git": _safe(git_info, cwd) if cwd else None,
        "jobs": {name: os.environ[name] for name in SCHEDULER_VARIABLES if os.environ.get(name)},
    }
    info.update(extra)
    return info


# A log is shared with colleagues and papers; a secret on the command line must not go
# with it.  The value of an option whose name says it holds one is replaced, and so is
# that of a Hydra-style override (``wandb.api_key=X``, ``+db.password=X``, ``hf_token=X``)
# whose last dotted component says so.
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "passphrase", "credential", "auth")
REDACTED = "<redacted>"
# The characters of an override's name: a dotted path, a config group (db/mysql), a
# package (@pkg); its prefixes ``+`` (add), ``++`` (force add) and ``~`` (delete).
_OVERRIDE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./@")


def redacted_argv(argv: Any) -> list:
    """``argv`` with the values of secret-looking options (``--api-key X``,
    ``--token=X``, ``--wandb-password X``) and overrides (``wandb.api_key=X``,
    ``++trainer.secret=X``, ``hf_token=X``) replaced by ``<redacted>``."""
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
        if arg.startswith("-"):
            secret = _secret(name)
        else:
            secret = bool(eq) and _secret_override(name)
        if secret and eq:
            out.append(f"{name}={REDACTED}")
        else:
            out.append(arg)
            hide_next = secret
    return out


def _secret(name: str) -> bool:
    """Whether an option or key ``name`` says it holds a secret."""
    name = name.lower()
    return any(w in name for w in _SECRET_WORDS)


def _secret_override(name: str) -> bool:
    """Whether ``name`` (of ``name=value``) is an override's whose last component says it
    holds a secret: ``wandb.api_key``, ``+db.password``, ``hf_token``, not ``data.path``."""
    path = name.lstrip("+~").partition("@")[0]
    if not path or not set(path) <= _OVERRIDE_NAME:
        return False
    return _secret(path.replace("/", ".").rpartition(".")[2])


def hostname() -> str:
    """This machine's name, as ``socket.gethostname()`` gives it (without importing socket
    where ``os.uname`` has it)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def user_name() -> str:
    """The login name, found as ``getpass.getuser`` finds it (getpass itself imports
    termios, which a store has no use for): LOGNAME, USER, LNAME or USERNAME, else the
    password database."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(name)
        if user:
            return user
    import pwd

    return pwd.getpwuid(os.getuid())[0]


def utc_now() -> str:
    """The time now in UTC, ISO 8601 to the second (``2026-11-27T05:42:00+00:00``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


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
        gitdir = _gitdir(root)
        if gitdir:
            break
        if gitdir is None:
            return None
        parent = os.path.dirname(root)
        if parent == root:
            return None
        root = parent
    commit, branch = _head(gitdir)
    return {"root": root, "commit": commit, "branch": branch, "dirty": worktree_dirty(root, gitdir)}


def _gitdir(root: str) -> Optional[str]:
    """The git directory of the checkout at ``root``: ``root/.git``, or where a ``.git``
    file points (a worktree, a submodule); ``""`` when ``root`` has no ``.git``, None
    when its ``.git`` file is not git's."""
    dotgit = os.path.join(root, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    if os.path.isfile(dotgit):  # a worktree or submodule: "gitdir: <path>"
        text = _read(dotgit)
        if not text.startswith("gitdir:"):
            return None
        return os.path.normpath(os.path.join(root, text[len("gitdir:") :].strip()))
    return ""


def _common(gitdir: str) -> str:
    """The directory that holds the refs and config a worktree's ``gitdir`` shares."""
    if os.path.isfile(os.path.join(gitdir, "commondir")):
        return os.path.normpath(os.path.join(gitdir, _read(os.path.join(gitdir, "commondir")).strip()))
    return gitdir


def _head(gitdir: str) -> Tuple[Optional[str], Optional[str]]:
    """The commit (hex) and branch (None when detached) of the checkout of ``gitdir``."""
    head = _read(os.path.join(gitdir, "HEAD")).strip()
    if not head.startswith("ref:"):
        return head, None  # a detached HEAD holds the commit itself
    ref = head[4:].strip()
    branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref
    return _resolve(ref, gitdir, _common(gitdir)), branch


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


def worktree_dirty(root: str, gitdir: str, deadline: Optional[float] = None,
                   depth: int = 0) -> Optional[bool]:
    """Whether a tracked file of the checkout at ``root`` differs from git's index.

    Decided as ``git diff --quiet`` decides it, without running git: a file whose size
    differs, or that is missing, is changed, and so is one whose executable bit or type
    (file or symlink) differs from the index's (unless ``core.fileMode`` or
    ``core.symlinks`` is false); a file whose modification time differs from the index's
    (or is as new as the index, "racily clean") is hashed and compared with the staged
    blob.  A submodule is changed when its checkout is at another commit than the index
    records or a tracked file of it is changed (its untracked files are not seen, as
    git does not count them).  Not seen: changes staged but not committed, and untracked
    files.  A file under a clean filter (git-lfs, ``core.autocrlf``) whose time differs
    from the index's counts as changed, since its blob is not the file's bytes.
    ``None`` (unknown) for index formats this does not read (version 4, split index), or
    when the check would pass ``DIRTY_MAX_FILES`` files (in one checkout) or
    ``DIRTY_MAX_SECONDS``.

    Every call looks at every tracked file again (an edit between two sessions of one
    process must show); what it keeps between calls is only what cannot have changed
    unseen: the parsed index, while the index's bytes are the same, and the blob id of a
    hashed file, while its stat is the same (see ``_blob_id``).
    """
    index = _index_entries(os.path.join(gitdir, "index"))
    if index is None:
        return None
    entries, index_mtime = index
    if deadline is None:
        deadline = time.monotonic() + DIRTY_MAX_SECONDS
    file_mode, symlinks = _core_flags(_common(gitdir))
    type_and_x = _TYPE | (0o100 if file_mode else 0)
    root = os.path.join(root, "")
    lstat = os.lstat
    gitlink = _GITLINK
    hashed = False
    for i, (name, mtime, size, sha, mode) in enumerate(entries):
        # (the clock is read every 256 files, and after every hash: a file may be large)
        if (hashed or not i & 255) and time.monotonic() > deadline:
            return None
        path = root + name
        if mode == gitlink:
            changed = _submodule_changed(path, sha, deadline, depth)
            if changed is not False:
                return changed
            continue
        try:
            st = lstat(path)
        except OSError:
            return True  # a tracked file was deleted
        # A file became a symlink or the other way round, or (file_mode) chmod +x or -x.
        # (A symlink's mode has x bits the index's has not: only its type is compared.)
        changed = (st.st_mode ^ mode) & type_and_x
        if changed and (mode != _SYMLINK or changed & _TYPE and symlinks):
            return True
        if st.st_size & 0xFFFFFFFF != size:
            return True
        if st.st_mtime_ns == mtime and mtime < index_mtime:
            continue
        if _blob_id(path, st) != sha:
            return True
        hashed = True
    return False


_GITLINK, _SYMLINK, _TYPE = 0o160000, 0o120000, 0o170000  # (index modes, and the type's bits)


def _submodule_changed(path: str, commit: bytes, deadline: float, depth: int) -> Optional[bool]:
    """Whether the submodule checked out at ``path`` is changed: at another commit than
    ``commit`` (the index's), or a tracked file of it changed.  A submodule that is not
    checked out (no ``.git``) is not changed, as for git."""
    gitdir = _gitdir(path)
    if not gitdir:
        return None if gitdir is None else False
    if depth >= 8:  # submodules of submodules, this deep: too far to look cheaply
        return None
    if _head(gitdir)[0] != commit.hex():
        return True
    return worktree_dirty(path, gitdir, deadline, depth + 1)


def _core_flags(common: str) -> Tuple[bool, bool]:
    """``core.fileMode`` and ``core.symlinks`` of the repository at ``common`` (both true
    unless its config says false, as git init writes where the filesystem lacks them)."""
    try:
        text = _read(os.path.join(common, "config"))
    except OSError:
        return True, True
    flags = {"filemode": True, "symlinks": True}
    section = ""
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
        elif section == "core" and "=" in line:
            name, _, value = line.partition("=")
            name = name.strip().lower()
            if name in flags:
                flags[name] = value.strip().lower() not in ("false", "no", "off", "0")
    return flags["filemode"], flags["symlinks"]


# The index of each checkout seen by this process, parsed: {index path: (size, the
# index's trailing checksum, entries)}.  Git rewrites the index whole, and its last 20
# bytes are the SHA-1 of the rest, so equal size and checksum mean equal bytes; an index
# written with ``index.skipHash`` (git 2.40+, ``feature.manyFiles``) has zeros there
# instead, and is parsed again each time.
_parsed_indexes: Dict[str, Tuple[int, bytes, Optional[list]]] = {}
_NO_CHECKSUM = bytes(20)


def _index_entries(index_path: str) -> Optional[Tuple[list, int]]:
    """The tracked files of the index at ``index_path`` (``(name, mtime in nanoseconds,
    size, blob id, mode)`` each, without the entries git does not compare) and the index's
    own mtime; ``None`` when this cannot read the index."""
    try:
        with open(index_path, "rb") as f:
            st = os.fstat(f.fileno())
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"DIRC":
                return None
            version, count = struct.unpack(">II", head[4:12])
            if version not in (2, 3) or count > DIRTY_MAX_FILES:
                return None  # (before reading the index of a huge checkout)
            f.seek(-20, os.SEEK_END)
            checksum = f.read(20)
            cached = _parsed_indexes.get(index_path)
            if cached is not None and cached[:2] == (st.st_size, checksum):
                entries = cached[2]
            else:
                f.seek(0)
                entries = _parse_index(f.read(), version, count)
                if checksum != _NO_CHECKSUM:
                    _parsed_indexes[index_path] = (st.st_size, checksum, entries)
    except (OSError, struct.error, ValueError):
        return None
    if entries is None:
        return None
    return entries, st.st_mtime_ns


# An index entry up to its flags: ctime, mtime (seconds, nanoseconds), dev, ino, mode,
# uid, gid, size, blob id, flags.
_ENTRY = struct.Struct(">10I20sH")


def _parse_index(index: bytes, version: int, count: int) -> Optional[list]:
    """The entries of a version 2 or 3 index, or ``None`` for a split index."""
    pos = 12
    entries = []
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()  # (os.fsdecode's)
    for _ in range(count):
        (_cs, _cn, ms, mns, _dev, _ino, mode, _uid, _gid, size, sha, flags) = _ENTRY.unpack_from(index, pos)
        fixed = 62
        extended = 0
        if version == 3 and flags & 0x4000:
            (extended,) = struct.unpack_from(">H", index, pos + 62)
            fixed = 64
        name = index[pos + fixed : index.index(b"\0", pos + fixed)]
        pos += (fixed + len(name) + 8) & ~7  # NUL-padded to a multiple of 8 bytes
        if flags & 0x8000 or extended & 0x4000 or mode >> 12 == 0o4:
            continue  # assume-unchanged, skip-worktree, a sparse directory
        entries.append((name.decode(encoding, errors), ms * 1_000_000_000 + mns, size, sha, mode))
    if _split_index(index, pos):
        return None
    return entries


def _split_index(index: bytes, pos: int) -> bool:
    """Whether the index's extensions (after the entries) include a split index."""
    while pos + 8 <= len(index) - 20:  # the last 20 bytes are the checksum
        signature = index[pos : pos + 4]
        (size,) = struct.unpack(">I", index[pos + 4 : pos + 8])
        if signature == b"link":
            return True
        pos += 8 + size
    return False


# Blob ids of the files hashed by this process: {path: (stat key, blob id)}.  On POSIX a
# file's bytes cannot change without changing its ctime (no call sets it; on Windows the
# key is as strong as git's own stat check), but two writes within one tick of the
# filesystem's clock leave the same times: an id is kept only for a file whose times are
# older than RACY_SECONDS when it was hashed, as git trusts a stat only when it is older
# than the index it is compared with.
_blob_ids: Dict[str, Tuple[tuple, bytes]] = {}
RACY_SECONDS = 3  # past the coarsest timestamps in use (FAT's 2 s)


def _blob_id(path: str, st: os.stat_result) -> bytes:
    """The git blob id of the file (or symlink) at ``path``, whose ``lstat`` is ``st``."""
    key = (st.st_dev, st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    cached = _blob_ids.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    sha = _blob_sha(path, st)
    if max(st.st_mtime_ns, st.st_ctime_ns) < time.time_ns() - RACY_SECONDS * 1_000_000_000:
        _blob_ids[path] = (key, sha)
    return sha


def _blob_sha(path: str, st: os.stat_result) -> bytes:
    """The git blob id of the file (or symlink) at ``path``."""
    # Imported here, when a file needs hashing (most sessions hash none); CPython's own
    # SHA-1 first, as the random module takes its SHA-512: hashlib loads OpenSSL, which
    # costs a first session milliseconds.
    try:
        from _sha1 import sha1
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import sha1

    if S_ISLNK(st.st_mode):
        data = os.fsencode(os.readlink(path))
    else:
        with open(path, "rb") as f:
            data = f.read()
    return sha1(b"blob %d\0" % len(data) + data).digest()
