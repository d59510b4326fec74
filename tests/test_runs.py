"""Runs over time: session records (provenance), marks and rewind."""

import ast
import datetime
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

import laaos
from laaos.provenance import redacted_argv
import laaos.provenance
from laaos import cli
from laaos.runs import scan

from helpers import run_original


def test_secrets_on_the_command_line_are_not_recorded(tmp_path, monkeypatch):
    argv = ["train.py", "--api-key", "sk-123", "--lr", "0.1", "--hf-token=hf_abc", "--password", "-v",
            "--keyword-arg", "x", "--auth=", "data.csv"]
    monkeypatch.setattr(sys, "argv", argv)
    with open_log(tmp_path) as root:
        root["a"] = 1
    recorded = laaos.load(tmp_path / "run.py").sessions[0].info["argv"]
    assert recorded == ["train.py", "--api-key", "<redacted>", "--lr", "0.1", "--hf-token=<redacted>",
                        "--password", "-v", "--keyword-arg", "<redacted>", "--auth=<redacted>", "data.csv"]
    assert "sk-123" not in (tmp_path / "run.py").read_text()


def test_secrets_in_hydra_style_overrides_are_not_recorded(tmp_path, monkeypatch):
    argv = ["train.py", "wandb.api_key=sk-1", "+db.password=pw-2", "hf_token=hf-3", "++trainer.secret=s=4",
            "~cloud.credentials=c-5", "hydra.job.env_set.WANDB_API_KEY=k-6", "db/auth=a-7",
            "lr=0.1", "data.path=/data/keys.csv", "model=resnet", "note=my password", "+db@pkg=mysql"]
    monkeypatch.setattr(sys, "argv", argv)
    with open_log(tmp_path) as root:
        root["a"] = 1
    recorded = laaos.load(tmp_path / "run.py").sessions[0].info["argv"]
    assert recorded == ["train.py", "wandb.api_key=<redacted>", "+db.password=<redacted>", "hf_token=<redacted>",
                        "++trainer.secret=<redacted>", "~cloud.credentials=<redacted>",
                        "hydra.job.env_set.WANDB_API_KEY=<redacted>", "db/auth=<redacted>",
                        "lr=0.1", "data.path=/data/keys.csv", "model=resnet", "note=my password", "+db@pkg=mysql"]
    text = (tmp_path / "run.py").read_text()
    assert not any(secret in text for secret in ("sk-1", "pw-2", "hf-3", "s=4", "c-5", "k-6", "a-7"))


def open_log(tmp_path, **kw):
    return laaos.open_file_store("run", "", prefix=f"{tmp_path}/", **kw)


# ---- provenance ----------------------------------------------------------------------------


def test_every_session_records_where_it_ran(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "7")
    monkeypatch.delenv("PBS_JOBID", raising=False)
    root = open_log(tmp_path)
    root["a"] = 1
    root.close()
    monkeypatch.delenv("SLURM_JOB_ID")
    with open_log(tmp_path) as root:  # resumed
        root["b"] = 2
    result = laaos.load(tmp_path / "run.py")
    assert result.store == {"a": 1, "b": 2}
    first, second = result.sessions
    assert (first.line, second.line) == (1, 4)
    when = datetime.datetime.fromisoformat(first["time"])
    assert when.utcoffset() == datetime.timedelta(0)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 60
    assert first["pid"] == os.getpid() and first["argv"] == redacted_argv(sys.argv) and first["cwd"] == os.getcwd()
    assert first["host"] and first["user"] and first["python"] and first["laaos"] == laaos.__version__
    assert first["jobs"] == {"SLURM_JOB_ID": "4242", "SLURM_ARRAY_TASK_ID": "7"}
    assert second["jobs"] == {"SLURM_ARRAY_TASK_ID": "7"}
    assert (first["resumed"], second["resumed"]) == (False, True)
    assert result.marks == []


def test_provenance_false_writes_no_record(tmp_path):
    with open_log(tmp_path, provenance=False) as root:
        root["a"] = 1
    assert (tmp_path / "run.py").read_text() == "store = {}\nstore['a']=1\n"
    assert laaos.load(tmp_path / "run.py").sessions == []


def test_create_file_store_writes_what_the_original_wrote(tmp_path):
    root = laaos.create_file_store("run", "", prefix=f"{tmp_path}/")
    root["a"] = [1]
    root.close()
    assert (tmp_path / "run.py").read_text() == "store = {}\nstore['a']=[1]\n"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def make_repo(path):
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    git("config", "user.email", "a@b", cwd=path)
    git("config", "user.name", "a", cwd=path)
    (path / "train.py").write_text("print(1)\n")
    git("add", "train.py", cwd=path)
    git("commit", "-q", "-m", "one", cwd=path)
    return path


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a checkout")
def test_git_commit_and_dirty_flag_are_read_from_the_checkout(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")

    def session():
        root = laaos.open_file_store("run", "", prefix=f"{tmp_path}/", truncate=True)
        root.close()
        return laaos.load(tmp_path / "run.py").sessions[-1]["git"]

    head = git("rev-parse", "HEAD", cwd=repo)
    assert session() == {"root": str(repo), "commit": head, "branch": "main", "dirty": False}
    (repo / "train.py").write_text("print(2)\n")  # same size, new content
    assert session()["dirty"] is True
    (repo / "train.py").write_text("print(1)\n")  # back to the committed text: clean
    assert session()["dirty"] is False
    git("pack-refs", "--all", cwd=repo)  # the branch now lives in packed-refs only
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert session()["commit"] == head
    git("checkout", "-q", "--detach", cwd=repo)
    assert session()["branch"] is None and session()["commit"] == head
    git("checkout", "-q", "main", cwd=repo)
    git("worktree", "add", "-q", "-b", "other", str(tmp_path / "wt"), cwd=repo)  # .git is a file there
    (tmp_path / "wt" / "new.txt").write_text("x")
    git("add", "new.txt", cwd=tmp_path / "wt")
    git("commit", "-q", "-m", "two", cwd=tmp_path / "wt")
    monkeypatch.chdir(tmp_path / "wt")
    info = session()
    assert info["commit"] == git("rev-parse", "HEAD", cwd=tmp_path / "wt") != head
    assert info["branch"] == "other" and info["dirty"] is False
    monkeypatch.setattr(laaos.provenance, "DIRTY_MAX_FILES", 0)  # too large to check cheaply
    assert session()["dirty"] is None and session()["commit"] == info["commit"]
    monkeypatch.chdir(tmp_path)
    assert session() is None  # not in a checkout


@pytest.mark.parametrize("backend", ["python"], indirect=True)  # (reads no store: one run)
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a checkout")
def test_dirty_agrees_with_git_diff_on_modes_symlinks_and_submodules(tmp_path, backend):
    sub = make_repo(tmp_path / "sub")
    repo = make_repo(tmp_path / "repo")
    os.symlink("train.py", repo / "link")
    git("add", "link", cwd=repo)
    git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub", cwd=repo)
    git("commit", "-q", "-m", "two", cwd=repo)

    def dirty():
        """laaos's flag, and whether `git diff --quiet` says the same."""
        flag = laaos.provenance.git_info(str(repo))["dirty"]
        quiet = subprocess.run(["git", "diff", "--quiet"], cwd=repo).returncode
        assert flag == (quiet == 1), (flag, quiet)
        return flag

    assert dirty() is False
    os.chmod(repo / "train.py", 0o755)  # a mode change alone
    assert dirty() is True
    git("config", "core.fileMode", "false", cwd=repo)  # (a filesystem without modes)
    assert dirty() is False
    git("config", "core.fileMode", "true", cwd=repo)
    os.chmod(repo / "train.py", 0o644)
    assert dirty() is False
    (repo / "link").unlink()  # a symlink replaced by a file of the same text
    (repo / "link").write_text("train.py")
    assert dirty() is True
    (repo / "link").unlink()
    os.symlink("train.py", repo / "link")
    assert dirty() is False
    (repo / "sub" / "train.py").write_text("print(9)\n")  # a tracked file of the submodule
    assert dirty() is True
    git("checkout", "-q", "train.py", cwd=repo / "sub")
    (repo / "sub" / "new.txt").write_text("untracked")  # not counted by git either
    assert dirty() is False
    (repo / "sub" / "new.txt").unlink()
    git("commit", "-q", "--allow-empty", "-m", "ahead", cwd=repo / "sub")  # the submodule at another commit
    assert dirty() is True
    git("add", "sub", cwd=repo)  # staged: not seen, as by git diff
    assert dirty() is False
    git("commit", "-q", "-m", "three", cwd=repo)
    shutil.rmtree(repo / "sub")  # a submodule not checked out
    (repo / "sub").mkdir()
    assert dirty() is False


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a checkout")
def test_a_later_session_of_the_same_process_sees_new_commits_and_edits(tmp_path, monkeypatch):
    # What one session read (the parsed index, blob ids) is kept for the next, to make
    # opening cheap; nothing of it may outlive the change it describes.
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)

    def session():
        with laaos.open_file_store("run", "", prefix=f"{tmp_path}/", truncate=True):
            pass
        return laaos.load(tmp_path / "run.py").sessions[-1]["git"]

    first = session()
    assert first["commit"] == git("rev-parse", "HEAD", cwd=repo) and first["dirty"] is False
    (repo / "train.py").write_text("print(10)\n")
    assert session()["dirty"] is True
    git("commit", "-q", "-am", "two", cwd=repo)
    second = session()
    assert second["commit"] == git("rev-parse", "HEAD", cwd=repo) != first["commit"]
    assert second["dirty"] is False
    (repo / "train.py").write_text("print(11)\n")  # same size
    assert session()["dirty"] is True
    git("add", "train.py", cwd=repo)  # a new index: the file matches it (staged changes are not seen)
    assert session()["dirty"] is False
    git("commit", "-q", "-m", "three", cwd=repo)
    git("checkout", "-q", "-b", "other", cwd=repo)
    third = session()
    assert third["commit"] == git("rev-parse", "HEAD", cwd=repo) != second["commit"]
    assert third["branch"] == "other" and third["dirty"] is False
    (repo / "train.py").unlink()
    assert session()["dirty"] is True


@pytest.mark.parametrize("backend", ["python"], indirect=True)  # (reads no store: one run)
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a checkout")
def test_a_file_is_hashed_again_unless_an_old_enough_stat_vouches_for_it(tmp_path, monkeypatch, backend):
    repo = make_repo(tmp_path / "repo")
    hashed = []
    real_blob_sha = laaos.provenance._blob_sha
    monkeypatch.setattr(laaos.provenance, "_blob_sha", lambda *a: hashed.append(a[0]) or real_blob_sha(*a))
    monkeypatch.setattr(laaos.provenance, "_blob_ids", {})

    def dirty():
        return laaos.provenance.git_info(str(repo))["dirty"]

    old = os.stat(repo / "train.py").st_mtime - 3600
    os.utime(repo / "train.py", (old, old))  # the committed text, a time the index does not have
    assert (dirty(), dirty(), len(hashed)) == (False, False, 2)  # changed just now (ctime): no trust yet
    monkeypatch.setattr(laaos.provenance, "RACY_SECONDS", -3600)  # as if that change were long ago
    assert (dirty(), dirty(), len(hashed)) == (False, False, 3)  # hashed once more, then trusted
    (repo / "train.py").write_text("print(2)\n")  # same size, and the same mtime again:
    os.utime(repo / "train.py", (old, old))  # only the ctime tells
    assert dirty() is True and len(hashed) == 4


@pytest.mark.parametrize("backend", ["python"], indirect=True)  # (reads no store: one run)
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a checkout")
def test_an_index_without_a_checksum_is_read_again_each_time(tmp_path, backend):
    # git 2.40+ with index.skipHash writes zeros where the index's SHA-1 goes: equal
    # size and trailer then say nothing about equal entries.
    repo = make_repo(tmp_path / "repo")
    index = repo / ".git" / "index"

    def without_checksum():
        real = index.read_bytes()
        index.write_bytes(real[:-20] + bytes(20))
        return real

    def dirty():
        return laaos.provenance.git_info(str(repo))["dirty"]

    (repo / "train.py").write_text("print(2)\n")
    git("add", "train.py", cwd=repo)
    real = without_checksum()
    assert dirty() is False  # the file is as staged
    index.write_bytes(real)  # (the git here may check the checksum)
    (repo / "train.py").write_text("print(3)\n")
    git("add", "train.py", cwd=repo)  # an index of the same size, another blob id
    without_checksum()
    assert dirty() is False
    (repo / "train.py").write_text("print(2)\n")
    assert dirty() is True


def test_a_session_record_survives_a_torn_tail_and_compact(tmp_path):
    with open_log(tmp_path) as root:
        root["l"] = [1]
        root.mark("m")
    path = tmp_path / "run.py"
    with open(path, "ab") as f:
        f.write(b"store['l'].append(2")  # killed mid-statement
    with pytest.warns(laaos.TornTailWarning):
        result = laaos.load(path)
    assert [s.line for s in result.sessions] == [1]
    with pytest.warns(laaos.TornTailWarning):
        root = open_log(tmp_path)
    root["l"].append(3)
    root.close()
    assert [s.line for s in laaos.load(path).sessions] == [1, 5]
    laaos.compact(path, tmp_path / "small.py")
    small = laaos.load(tmp_path / "small.py")
    assert small.store == {"l": [1, 3]}
    assert [s.info for s in small.sessions] == [s.info for s in laaos.load(path).sessions]
    assert small.marks == []  # marks are history that compaction folds away


# ---- marks and rewind ------------------------------------------------------------------------


def test_rewind_reopens_the_log_at_the_last_mark_with_that_label(tmp_path):
    root = open_log(tmp_path, initial_data={"loss": []})
    for step in range(10):
        root["loss"].append(step)
        if step % 3 == 2:
            root.mark("checkpoint")  # the same label each time: the last one counts
        if step == 4:
            root.mark("best")
    root.close()
    with open_log(tmp_path, rewind_to="checkpoint") as root:
        assert root == {"loss": list(range(9))}
        root["loss"].append("after")
    with open_log(tmp_path, rewind_to="best") as root:  # over the earlier rewind
        assert root == {"loss": list(range(5))}
        root["loss"].append("again")
    result = laaos.load(tmp_path / "run.py")
    assert result.store == {"loss": [0, 1, 2, 3, 4, "again"]}
    text = (tmp_path / "run.py").read_text().splitlines()
    kinds = [(r.kind, r.label) for r in result.marks]
    assert kinds == [
        ("mark", "checkpoint"),
        ("mark", "best"),
        ("mark", "checkpoint"),
        ("mark", "checkpoint"),
        ("rewind", "checkpoint"),
        ("rewind", "best"),
    ]
    for record in result.marks:
        assert text[record.line - 1].startswith(f"#laaos:{record.kind} ")
    assert result.marks[4]["mark_line"] == result.marks[3].line
    assert result.marks[5]["mark_line"] == result.marks[1].line
    assert "store['loss'].append(9)" in text  # what came after the mark stays as history


def test_a_rewound_log_loads_in_the_original_to_the_same_state(tmp_path, original_laaos):
    root = open_log(tmp_path, initial_data={"cfg": {"lr": 0.1}, "loss": [], "seen": set()})
    for step in range(6):
        root["loss"].append(step / 3)
        root["seen"].add(step)
        if step == 2:
            root.mark("ckpt-2")
    del root["cfg"]
    root.close()
    with open_log(tmp_path, rewind_to="ckpt-2") as root:
        root["loss"].append(-1.5)
        expected = repr(dict(root))
    out = run_original(original_laaos, "import laaos\nprint(repr(laaos.safe_load('run.py')))\n", tmp_path)
    assert out.strip() == expected == repr(laaos.safe_load(tmp_path / "run.py"))


def test_an_unknown_label_names_the_labels_that_exist_and_changes_nothing(tmp_path):
    with open_log(tmp_path) as root:
        root.mark("epoch-1")
        root.mark("epoch-2")
    before = (tmp_path / "run.py").read_bytes()
    with pytest.raises(laaos.MarkError, match=r"run\.py: no mark 'epoch-9'.*'epoch-1', 'epoch-2'"):
        open_log(tmp_path, rewind_to="epoch-9")
    with pytest.raises(laaos.MarkError, match="marks: none"):
        laaos.open_file_store("new", "", prefix=f"{tmp_path}/", rewind_to="epoch-9")
    assert (tmp_path / "run.py").read_bytes() == before
    open_log(tmp_path).close()  # the refused opens left the log unlocked


def test_a_mark_in_a_torn_tail_is_refused(tmp_path):
    with open_log(tmp_path) as root:
        root["a"] = 1
        root.mark("good")
        root["a"] = 2
    path = tmp_path / "run.py"
    with open(path, "ab") as f:
        f.write(b'#laaos:mark {"label": "torn"')  # killed while writing the mark
    before = path.read_bytes()
    with pytest.raises(laaos.MarkError, match=r"run\.py:6: the mark 'torn' is in the torn tail"):
        open_log(tmp_path, rewind_to="torn")
    assert path.read_bytes() == before
    path.write_bytes(before[: before.rindex(b"#")] + b'store[\'b\'] = (\n#laaos:mark {"label": "torn"}\n')
    with pytest.raises(laaos.MarkError, match=r"run\.py:7: the mark 'torn' is in a torn tail"):
        open_log(tmp_path, rewind_to="torn")
    with pytest.warns(laaos.TornTailWarning):
        root = open_log(tmp_path, rewind_to="good")
    assert root == {"a": 1}
    root.close()


def test_a_crash_that_tears_the_rewind_leaves_no_rewind_record(tmp_path):
    with open_log(tmp_path, initial_data={"l": []}) as root:
        root["l"].append(1)
        root.mark("m")
        root["l"].append(2)
    path = tmp_path / "run.py"
    before = path.read_bytes()
    open_log(tmp_path, rewind_to="m").close()
    rewound = path.read_bytes()
    statement = rewound.index(b"store = ", len(before))
    path.write_bytes(rewound[: statement + 12])  # killed while writing the state
    with pytest.warns(laaos.TornTailWarning):
        result = laaos.load(path)
    assert result.store == {"l": [1, 2]} and [r.kind for r in result.marks] == ["mark"]
    with pytest.warns(laaos.TornTailWarning):
        root = open_log(tmp_path, rewind_to="m")  # the run starts again: the rewind is redone
    assert root == {"l": [1]}
    root.close()
    assert [r.kind for r in laaos.load(path).marks] == ["mark", "rewind"]


def test_a_mark_reaches_the_file_in_buffered_mode(tmp_path):
    root = open_log(tmp_path, durability="buffered", flush_interval=3600)
    root["a"] = 1
    root.mark("m")
    assert laaos.load(tmp_path / "run.py").marks[0].label == "m"
    root.close()
    with pytest.raises(TypeError):
        laaos.open_file_store("x", "", prefix=f"{tmp_path}/").mark(3)
    with pytest.raises(ValueError, match="truncate"):
        open_log(tmp_path, rewind_to="m", truncate=True)


def test_show_prints_sessions_and_marks(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "99")
    with open_log(tmp_path) as root:
        root["a"] = 1
        root.mark("epoch-1")
    open_log(tmp_path, rewind_to="epoch-1").close()
    assert cli.main(["show", str(tmp_path / "run.py")]) == 0
    out = capsys.readouterr().out
    assert "sessions:\n  line 1: session " in out and "SLURM_JOB_ID=99" in out
    assert "marks:\n  line 4: mark 'epoch-1'" in out
    assert "rewind to 'epoch-1' (the mark at line 4)" in out


KILLED = r"""
import os, sys, laaos
root = laaos.open_file_store("run", "", prefix=sys.argv[1], initial_data={"loss": [], "ckpt": None})
step = len(root["loss"])
while True:
    root["loss"].append(step * 0.5)
    if step % 10 == 9:
        root["ckpt"] = step  # a checkpoint is saved here...
        root.mark("ckpt-%d" % step)  # ...and the log marked with its name
        os.write(1, b"ckpt-%d\n" % step)
    step += 1
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_run_resumed_from_its_checkpoint(tmp_path, backend_env, original_laaos):
    """SIGKILL mid-run; the run resumes from its last checkpoint with rewind_to; laaos
    and the original laaos load the log to the same state."""
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, f"{tmp_path}/"], stdout=subprocess.PIPE, env=backend_env,
        cwd=tmp_path,  # outside the source tree: the installed laaos
    )
    labels = [child.stdout.readline().decode().strip() for _ in range(5)]
    child.send_signal(signal.SIGKILL)
    child.wait()
    label = labels[-1]  # the last checkpoint the run told us about (later ones may exist)
    step = int(label.split("-")[1])
    resume = textwrap.dedent(f"""
        import laaos, sys, warnings
        warnings.simplefilter("ignore")  # the kill may have torn the last statement
        root = laaos.open_file_store("run", "", prefix=sys.argv[1], rewind_to={label!r})
        assert root["ckpt"] == {step} and len(root["loss"]) == {step + 1}, dict(root)
        root["loss"].append("resumed")
        root.close()
    """)
    subprocess.run([sys.executable, "-c", resume, f"{tmp_path}/"], env=backend_env, check=True, cwd=tmp_path)
    expected = {"loss": [i * 0.5 for i in range(step + 1)] + ["resumed"], "ckpt": step}
    assert laaos.safe_load(tmp_path / "run.py") == expected
    out = run_original(original_laaos, "import laaos\nprint(repr(laaos.safe_load('run.py')))\n", tmp_path)
    assert ast.literal_eval(out) == expected
    rewinds = [r for r in laaos.load(tmp_path / "run.py").marks if r.kind == "rewind"]
    assert [r.label for r in rewinds] == [label]


def test_scan_finds_records_across_chunk_boundaries_and_long_lines():
    from laaos.runs import record_line

    data = (
        record_line("session", {"a": 1})
        + b"store = {}\n"
        + b"store['x'] = '"
        + b"y" * 5000
        + b"'\n"
        + record_line("mark", {"label": "m"})
        + b"#laaos:other 1\n"
        + record_line("mark", {"label": "n"})
        + b'#laaos:mark {"lab'
    )
    expected = [(r.kind, r.line, r.label, r.offset, r.end) for r in scan([data])]
    assert [e[:3] for e in expected] == [
        ("session", 1, None),
        ("mark", 4, "m"),
        ("mark", 6, "n"),
        ("mark", 7, None),
    ]
    assert expected[-1][4] == 0  # torn: no newline
    for size in (1, 5, 7, 64, 4999):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert [(r.kind, r.line, r.label, r.offset, r.end) for r in scan(chunks)] == expected


def test_a_rewound_state_too_deep_for_one_statement_still_loads(tmp_path, original_laaos):
    """The rewind writes the state at the mark through the same writer as compact: a state
    nested deeper than one statement may be is written as several, which laaos and the
    original laaos both load."""
    with open_log(tmp_path) as root:
        node = root
        for _ in range(120):  # each level one statement, as a program builds it
            node["n"] = {}
            node = node["n"]
        node["leaf"] = [1.5]
        root.mark("deep")
        root["after"] = 1
    path = tmp_path / "run.py"
    open_log(tmp_path, rewind_to="deep").close()
    expected = laaos.safe_load(path)
    assert "after" not in expected
    depth, node = 0, expected
    while "n" in node:
        node, depth = node["n"], depth + 1
    assert depth == 120 and node == {"leaf": [1.5]}
    out = run_original(original_laaos, "import laaos\nprint(repr(laaos.safe_load('run.py')))\n", tmp_path)
    assert ast.literal_eval(out) == expected
