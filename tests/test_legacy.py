"""Logs that laaos 2.1.1 wrote and laaos must load: complex numbers with a non-finite part
(written as repr writes them) and logs in the Windows ANSI code page (cp1252).

The logs are written by the real 2.1.1 (from the package index) in a child process.
"""

import io
import math

import pytest

import laaos
from laaos.cli import main
from helpers import run_original, same

INF, NAN = math.inf, math.nan
# (real, imag) of the complex values below, as text the child can read back with float()
PAIRS = [("inf", "1"), ("1", "inf"), ("nan", "nan"), ("0", "inf"), ("0", "-inf"), ("-inf", "-nan"),
         ("nan", "0"), ("0", "nan"), ("-0.0", "-inf"), ("inf", "-0.0"), ("2.5", "-inf"), ("-inf", "inf")]
VALUES = [complex(float(a), float(b)) for a, b in PAIRS]

WRITE_COMPLEX = f"""
import laaos
values = [complex(float(a), float(b)) for a, b in {PAIRS!r}]
root = laaos.open_file_store('orig', '', prefix='./', truncate=True)
root['values'] = values
root['by_name'] = {{'peak': values[0], 'floor': values[8]}}
root['trace'] = []
for v in values:
    root['trace'].append(v)
root.close()
"""


def test_nonfinite_complex_values_written_by_2_1_1_load_as_written(tmp_path, original_laaos):
    run_original(original_laaos, WRITE_COMPLEX, tmp_path)
    text = (tmp_path / "orig.py").read_text()
    assert "(inf+1j)" in text and "(1+infj)" in text and "(nan+nanj)" in text and "-infj" in text
    result = laaos.load(tmp_path / "orig.py")
    assert same(result.store["values"], VALUES)  # NaN as NaN, and -0.0 told from 0.0
    assert same(result.store["trace"], VALUES)
    assert same(result.store["by_name"], {"peak": VALUES[0], "floor": VALUES[8]})
    assert result.legacy_floats == result.statements - 2  # all but `store = {}` and `= []`


def test_check_calls_a_2_1_1_log_with_nonfinite_complex_ok(tmp_path, original_laaos, capsys):
    run_original(original_laaos, WRITE_COMPLEX, tmp_path)
    code = main(["check", str(tmp_path / "orig.py")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "DAMAGED" not in out and "OLD FORMAT" in out and out.rstrip().endswith("OK")


def test_what_laaos_writes_for_nonfinite_complex_loads_back():
    log = io.StringIO()
    root = laaos.Store(log).root
    root["values"] = VALUES
    root["trace"] = []
    for v in VALUES:
        root["trace"].append(v)
    loaded = laaos.safe_load_str(log.getvalue())
    assert same(loaded, {"values": VALUES, "trace": VALUES})


@pytest.mark.parametrize("text", [
    "infj()", "infj.real", "nanj[0]", "(infj+1j)", "(1j+infj)", "(nan+nan)", "(1+inf)",
    "(inf+infj+1j)", "(1+-infj)", "(inf*1j)", "infJ", "(1+infjj)", "inf(1)", "nan.__class__",
])
def test_the_2_1_1_number_words_are_accepted_only_as_repr_writes_them(text):
    with pytest.raises(laaos.LogError):
        laaos.safe_load_str(f"store = {{}}\nstore['x'] = {text}\n")


def test_a_symbol_named_like_a_2_1_1_number_word_is_the_symbol():
    assert laaos.safe_load_str("store = {'x': infj}\n", extra_mappings={"infj": 3}) == {"x": 3}
    with pytest.raises(laaos.LogError):  # the symbol is no number literal: no arithmetic on it
        laaos.safe_load_str("store = {'x': (1+infj)}\n", extra_mappings={"infj": 3})


# What open() gives on Windows: text files in the ANSI code page, cp1252 (2.1.1 opens its
# log with open(path, "a+t")).  Python on Linux reads the encoding from C, so the child
# replaces open() before 2.1.1 is imported.
WINDOWS_OPEN = """
import builtins
_open = builtins.open
def _windows_open(file, mode="r", buffering=-1, encoding=None, *args, **kwargs):
    if "b" not in mode and encoding is None:
        encoding = "cp1252"
    return _open(file, mode, buffering, encoding, *args, **kwargs)
builtins.open = _windows_open
"""
WRITE_ON_WINDOWS = WINDOWS_OPEN + """
import laaos
root = laaos.open_file_store('windows', '', prefix='./', truncate=True)
root['unit'] = 'µs'
root['author'] = 'Müller'
root['notes'] = []
root['notes'].append('café – 20 €')
root['timings'] = {'µs': [1.5, 2.5]}
root.close()
root = laaos.open_file_store('windows', '', prefix='./')  # 2.1.1 reads it back in cp1252
root['notes'].append('reopened: ß')
root.close()
"""
WINDOWS_STORE = {"unit": "µs", "author": "Müller", "notes": ["café – 20 €", "reopened: ß"], "timings": {"µs": [1.5, 2.5]}}


@pytest.fixture(scope="module")
def windows_log_bytes(original_laaos, tmp_path_factory):
    folder = tmp_path_factory.mktemp("windows")
    run_original(original_laaos, WRITE_ON_WINDOWS, folder)
    data = (folder / "windows.py").read_bytes()
    assert b"'\xb5s'" in data and b"M\xfcller" in data  # cp1252 bytes, not UTF-8
    return data


@pytest.fixture
def windows_log(windows_log_bytes, tmp_path):
    path = tmp_path / "windows.py"
    path.write_bytes(windows_log_bytes)
    return path


def test_a_log_2_1_1_wrote_on_windows_loads_with_encoding_cp1252(windows_log):
    assert laaos.safe_load(windows_log, encoding="cp1252") == WINDOWS_STORE
    result = laaos.load(windows_log, encoding="cp1252")
    assert result.store == WINDOWS_STORE and result.statements == 7
    assert result.size == result.valid_bytes == windows_log.stat().st_size
    loaded = laaos.load_many([windows_log], encoding="cp1252", processes=1)
    assert loaded == {str(windows_log): WINDOWS_STORE} and not loaded.errors


def test_the_fixed_windows_log_loads_with_encoding_cp1252():
    from helpers import DATA

    assert laaos.safe_load(DATA / "laaos-2.1.1-windows" / "cp1252.py", encoding="cp1252") == WINDOWS_STORE


def test_without_encoding_the_error_names_the_line_and_the_encoding_to_try(windows_log):
    with pytest.raises(laaos.LogError) as e:
        laaos.safe_load(windows_log)
    assert e.value.line == 2 and str(windows_log) in str(e.value)
    assert "encoding='cp1252'" in str(e.value) and "--encoding cp1252" in str(e.value)


def test_a_torn_windows_log_counts_its_tail_in_the_files_bytes(windows_log):
    with open(windows_log, "ab") as f:
        f.write("store['unit'] = 'µ".encode("cp1252"))  # 18 bytes in cp1252, 19 in UTF-8
    with pytest.warns(laaos.TornTailWarning, match=r"windows.py:8: .*\(18 bytes\)"):
        result = laaos.load(windows_log, encoding="cp1252")
    assert result.store == WINDOWS_STORE and result.torn
    assert result.dropped_bytes == 18 and result.valid_bytes + 18 == result.size == windows_log.stat().st_size


def test_a_byte_the_encoding_does_not_define_is_named_with_its_line(tmp_path):
    path = tmp_path / "log.py"
    path.write_bytes(b"store = {}\nstore['x'] = '\x81'\n")  # 0x81: no character in cp1252
    with pytest.raises(laaos.LogError, match=r"log.py:2: byte 0x81 \(at byte 14 of the line\) is no character in cp1252"):
        laaos.load(path, encoding="cp1252")
    assert laaos.load(path, encoding="cp1252", skip_errors=True).skipped[0][0] == 2


def test_check_says_not_utf8_and_the_encoding_to_try_not_damaged(windows_log, capsys):
    code = main(["check", str(windows_log)])
    out = capsys.readouterr().out
    assert code == 0, out  # not damage: the log is healthy read as cp1252
    assert f"{windows_log}:2: not UTF-8 -- written by laaos 2.1.1 on Windows? try --encoding cp1252" in out
    assert "DAMAGED" not in out and "recover" not in out and "7 statements" in out
    code = main(["check", "--encoding", "cp1252", str(windows_log)])
    out = capsys.readouterr().out
    assert code == 0 and "not UTF-8" not in out and out.rstrip().endswith("OK")


def test_check_of_a_sweep_says_which_logs_need_an_encoding_and_is_not_damage(windows_log, tmp_path, capsys):
    sound = tmp_path / "sound.py"
    sound.write_text("store = {'a': 1}\n", encoding="utf-8")
    code = main(["check", str(windows_log), str(sound)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{windows_log}: NEEDS ENCODING: {windows_log}:2: not UTF-8" in out and "sound.py" not in out
    assert out.rstrip().endswith("2 logs: 2 OK (1 of them need --encoding), 0 torn, 0 damaged, 0 empty")
    assert main(["check", "--encoding", "cp1252", "-q", str(windows_log), str(sound)]) == 0
    assert capsys.readouterr().out == "2 logs: 2 OK, 0 torn, 0 damaged, 0 empty\n"
    before = windows_log.read_bytes()
    assert main(["recover", str(windows_log), str(sound)]) == 1  # refused, named, nothing moved
    captured = capsys.readouterr()
    assert "try --encoding cp1252" in captured.err and "1 failed" in captured.out
    assert windows_log.read_bytes() == before


def test_check_still_calls_a_damaged_utf8_log_damaged(tmp_path, capsys):
    path = tmp_path / "log.py"
    path.write_bytes("store = {'a': 'ü'}\nstore['b'] = '\xff'\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert code == 1 and "DAMAGED" in out and "not UTF-8" not in out


@pytest.mark.parametrize("dry_run", [False, True])
def test_recover_moves_nothing_out_of_a_windows_log(windows_log, dry_run, capsys):
    before = windows_log.read_bytes()
    code = main(["recover", str(windows_log)] + (["--dry-run"] if dry_run else []))
    err = capsys.readouterr().err
    assert code == 1 and "not UTF-8 -- written by laaos 2.1.1 on Windows? try --encoding cp1252" in err
    assert "nothing was changed" in err
    assert windows_log.read_bytes() == before and [p.name for p in windows_log.parent.iterdir()] == ["windows.py"]


def test_recover_moves_nothing_out_of_a_windows_log_that_laaos_appended_to(windows_log):
    with open(windows_log, "ab") as f:
        f.write("store['city'] = 'Zürich'\n".encode("utf-8"))  # lines of two encodings
    before = windows_log.read_bytes()
    with pytest.raises(laaos.LaaosError, match="not UTF-8 -- written by laaos 2.1.1 on Windows"):
        laaos.recover(windows_log)
    assert windows_log.read_bytes() == before and len(list(windows_log.parent.iterdir())) == 1


def test_the_commands_read_a_windows_log_with_encoding(windows_log, tmp_path, capsys):
    assert main(["show", "--encoding", "cp1252", str(windows_log)]) == 0
    assert "'Müller'" in capsys.readouterr().out
    assert main(["export", str(windows_log), "--encoding", "cp1252"]) == 0
    assert '"Müller"' in capsys.readouterr().out
    assert main(["recover", "--encoding", "cp1252", str(windows_log)]) == 0  # healthy: nothing to do
    capsys.readouterr()
    out = tmp_path / "utf8.py"
    assert main(["compact", "--encoding", "cp1252", str(windows_log), "-o", str(out)]) == 0
    assert laaos.safe_load(out) == WINDOWS_STORE  # the compacted log is UTF-8
    capsys.readouterr()
    twin = tmp_path / "twin.py"
    twin.write_bytes(windows_log.read_bytes())
    assert main(["compare", "--encoding", "cp1252", "--format", "csv", "-k", "author", str(windows_log), str(twin)]) == 0
    assert capsys.readouterr().out.count("Müller") == 2
    assert main(["diff", "--encoding", "cp1252", str(windows_log), str(windows_log)]) == 0


@pytest.mark.parametrize("mode", ["w", "a"])
def test_store_refuses_a_text_file_object_that_is_not_utf8(tmp_path, mode):
    path = tmp_path / "run.py"
    path.write_text("store = {}\n", encoding="utf-8")
    with open(path, mode, encoding="cp1252") as f:
        with pytest.raises(ValueError) as e:
            laaos.Store(f)
    message = str(e.value)
    assert str(path) in message and "cp1252" in message and 'encoding="utf-8"' in message
    assert path.read_bytes() == (b"" if mode == "w" else b"store = {}\n")  # (open "w" emptied it, not laaos)
    with open(path, mode, encoding="utf-8") as f:
        laaos.Store(f, append_mode=mode == "a").close()


def test_reopening_a_windows_log_to_append_is_refused_with_the_way_out(windows_log):
    before = windows_log.read_bytes()
    with pytest.raises(laaos.LogError) as e:
        laaos.open_file_store("windows", "", prefix=f"{windows_log.parent}/")
    assert e.value.line == 2 and "cp1252" in str(e.value)
    assert f"laaos compact --encoding cp1252 {windows_log}" in str(e.value)
    assert windows_log.read_bytes() == before  # nothing appended: it would be a log of two encodings
    assert main(["compact", "--encoding", "cp1252", str(windows_log)]) == 0  # in place, as UTF-8
    with laaos.open_file_store("windows", "", prefix=f"{windows_log.parent}/") as root:
        root["notes"].append("in UTF-8 now: ✓")
    assert laaos.safe_load(windows_log)["notes"] == WINDOWS_STORE["notes"] + ["in UTF-8 now: ✓"]


def test_a_utf8_log_reads_as_utf8_whatever_encoding_says(tmp_path, capsys):
    # --encoding cp1252 over a sweep of Windows and Linux logs must not garble the Linux ones
    store = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    store["name"] = "Müller µs"
    store.close()
    path = tmp_path / "run.py"
    assert laaos.load(path, encoding="cp1252").store["name"] == "Müller µs"
    plain = tmp_path / "plain.py"  # no #laaos: records: UTF-8 because it decodes as UTF-8
    plain.write_text("store = {'a': 'Müller'}\n", encoding="utf-8")
    assert laaos.safe_load(plain, encoding="cp1252") == {"a": "Müller"}
    out = tmp_path / "out.py"
    assert main(["compact", "--encoding", "cp1252", str(path), "-o", str(out)]) == 0
    assert laaos.safe_load(out)["name"] == "Müller µs"
    assert main(["check", "--encoding", "cp1252", str(path)]) == 0


def test_a_bad_byte_in_a_log_this_laaos_wrote_is_damage_not_an_encoding(tmp_path, capsys):
    # laaos writes UTF-8 only (its logs hold #laaos: records): a byte that is not UTF-8 there
    # is damage, which recover moves aside, even where the rest of the log is ASCII
    store = laaos.open_file_store("run", "", prefix=f"{tmp_path}/")
    store["losses"] = [1.0, 0.5]
    store.close()
    path = tmp_path / "run.py"
    data = path.read_bytes()
    path.write_bytes(data + b"store['losses'].append(0.\xff25)\n")
    capsys.readouterr()
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED" in out and "NEEDS ENCODING" not in out and "cp1252" not in out
    assert main(["recover", str(path)]) == 0
    assert path.read_bytes() == data and laaos.safe_load(path) == {"losses": [1.0, 0.5]}
