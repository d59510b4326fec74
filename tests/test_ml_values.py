"""The values ML code logs: numpy, torch (when installed), datetime, paths, enums,
dataclasses; and the per-step dicts that become a pandas DataFrame."""

import copy
import dataclasses
import datetime
import enum
import math
import pathlib

import numpy as np
import pytest

import laaos

from helpers import new_store


def load(log, **kwargs):
    return laaos.safe_load_str(log.getvalue(), **kwargs)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                   "uint8", "uint64", "bool"])
def test_numpy_scalars_and_arrays_of_every_dtype(dtype):
    root, log = new_store()
    array = (np.arange(6) % 2 == 0) if dtype == "bool" else np.arange(6).astype(dtype)
    root["array"] = array.reshape(2, 3)
    root["scalar"] = array[1]
    root["series"] = []
    for x in array:
        root["series"].append(x)
    loaded = load(log)
    assert loaded["array"] == array.reshape(2, 3).tolist()
    assert loaded["scalar"] == array[1].item() and type(loaded["scalar"]) is type(array[1].item())
    assert loaded["series"] == array.tolist()


def test_numpy_float_edge_values_round_trip_exactly():
    root, log = new_store()
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, np.finfo(np.float64).max, 0.1])
    root["v"] = values
    loaded = load(log)["v"]
    assert math.isnan(loaded[0]) and loaded[1:3] == [math.inf, -math.inf]
    assert math.copysign(1, loaded[3]) == -1
    assert loaded[4:] == values[4:].tolist()
    assert np.float32(0.1).item() == load(new_store_with(np.float32(0.1)))["v"]  # the float32 value, widened


def new_store_with(value):
    root, log = new_store()
    root["v"] = value
    return log


class Tensor:
    """A stand-in for ``torch.Tensor`` where torch is not installed: what laaos relies on
    (its class's name and module, ``.tolist()``; ``.item()`` of a 0-d tensor), so that
    the handling of tensors runs on every machine; the same tests run on real tensors
    where torch is installed."""

    __module__ = "torch"

    def __init__(self, data, requires_grad=False):
        self.data, self.requires_grad = data, requires_grad

    def tolist(self):
        return copy.deepcopy(self.data)

    def item(self):
        if isinstance(self.data, list):
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.data


@pytest.fixture(params=["torch", "stand-in"])
def tensors(request):
    """Make tensors with real torch, or with the stand-in (torch is not a test dependency)."""
    if request.param == "stand-in":
        return Tensor
    torch = pytest.importorskip("torch")
    return lambda data, requires_grad=False: torch.tensor(data, requires_grad=requires_grad)


def test_torch_tensors_are_stored_as_numbers(tensors):
    root, log = new_store()
    root["loss"] = tensors(0.25)
    root["weights"] = tensors([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    root["losses"] = []
    root["losses"].append(tensors(1.5))
    root["grad"] = tensors([2.0, float("nan")], requires_grad=True)
    root["steps"] = tensors([1, 2, 3])
    loaded = load(log)
    assert loaded["loss"] == 0.25 and loaded["losses"] == [1.5]
    assert loaded["weights"] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert loaded["grad"][0] == 2.0 and math.isnan(loaded["grad"][1])
    assert loaded["steps"] == [1, 2, 3] and type(loaded["steps"][0]) is int
    assert "tensor" not in log.getvalue().lower()


def test_torch_handlers_of_the_original_still_work(tensors):
    import laaos.torch

    root, log = new_store(type_handlers=laaos.torch.TypeHandlers)
    root["t"] = tensors([[1, 2], [3, 4]])
    root["scalar"] = tensors(7)
    assert load(log) == {"t": [[1, 2], [3, 4]], "scalar": 7}
    assert laaos.torch.TensorHandler().supports(tensors(1.0))


def test_datetime_and_paths_through_the_default_handlers():
    root, log = new_store(type_handlers=laaos.DefaultTypeHandlers)
    when = datetime.datetime(2026, 11, 26, 8, 30, 5, 123)
    root["started"] = when
    root["day"] = datetime.date(2026, 11, 26)
    root["elapsed"] = datetime.timedelta(seconds=90.5)
    root["ckpt"] = pathlib.PurePosixPath("/runs/a/ckpt.pt")
    text = log.getvalue()
    assert "datetime.datetime(2026, 11, 26, 8, 30, 5, 123)" in text
    loaded = load(log, extra_mappings={"datetime": datetime},
                  exposed_symbols=[pathlib.PurePosixPath])
    assert loaded["started"] == when and loaded["day"] == datetime.date(2026, 11, 26)
    assert loaded["elapsed"] == datetime.timedelta(seconds=90.5)
    assert loaded["ckpt"] == pathlib.PurePosixPath("/runs/a/ckpt.pt")
    # without the names, the log is refused, naming what it needs, and nothing runs
    with pytest.raises(laaos.UnsafeLogError, match="datetime"):
        load(log)


def test_datetime_and_paths_without_handlers_are_refused_clearly():
    root, log = new_store()
    for value in (datetime.datetime(2026, 1, 1), pathlib.Path("/x")):
        with pytest.raises(laaos.UnsupportedTypeError, match="TypeHandler"):
            root["v"] = value
    assert log.getvalue() == "store = {}\n" and "v" not in root
    root["v"] = str(pathlib.Path("/x"))  # the one-word fix
    assert load(log) == {"v": "/x"}


class Phase(enum.Enum):
    TRAIN = "train"
    EVAL = "eval"


class Level(enum.IntEnum):
    LOW = 1


@dataclasses.dataclass
class Config:
    lr: float
    layers: list
    phase: Phase = Phase.TRAIN


def test_enums_and_dataclasses_through_the_default_handlers():
    root, log = new_store(type_handlers=laaos.DefaultTypeHandlers)
    root["cfg"] = Config(0.1, [64, 64])
    root["phase"] = Phase.EVAL
    root["level"] = Level.LOW
    loaded = load(log)
    # StrEnumHandler writes str(member), as the original did ("1" for an IntEnum on 3.11+)
    assert loaded == {"cfg": {"lr": 0.1, "layers": [64, 64], "phase": "Phase.TRAIN"},
                      "phase": "Phase.EVAL", "level": str(Level.LOW)}
    root2, log2 = new_store()
    root2["level"] = Level.LOW  # without handlers an IntEnum is its int
    assert load(log2) == {"level": 1}


def test_per_step_dicts_become_a_dataframe_in_one_call():
    pd = pytest.importorskip("pandas")
    root, log = new_store()
    root["metrics"] = []
    for step in range(5):
        root["metrics"].append({"step": step, "loss": 1 / (step + 1), "acc": np.float32(step / 4)})
    frame = pd.DataFrame(load(log)["metrics"])
    assert list(frame.columns) == ["step", "loss", "acc"] and len(frame) == 5
    assert frame["loss"].iloc[-1] == 0.2 and frame["acc"].iloc[-1] == 1.0


def test_numpy_longdouble_datetime64_and_timedelta64_are_stored_as_documented():
    root, log = new_store()
    root["ld"] = np.longdouble(0.1)
    root["lds"] = np.array([1.5, 2.25], dtype=np.longdouble)
    root["cld"] = np.clongdouble(1 + 2j)
    root["when"] = np.datetime64("2026-01-02T03:04:05")
    root["days"] = np.array(["2026-01-01", "NaT"], dtype="datetime64[D]")
    root["took"] = np.timedelta64(5, "s")
    root["tooks"] = np.array([1, 2], dtype="timedelta64[ms]")
    loaded = load(log)
    assert loaded["ld"] == 0.1 and type(loaded["ld"]) is float
    assert loaded["lds"] == [1.5, 2.25] and loaded["cld"] == 1 + 2j
    assert loaded["when"] == "2026-01-02T03:04:05"
    assert loaded["days"] == ["2026-01-01", "NaT"]
    assert loaded["took"] == "5 seconds" and loaded["tooks"] == ["1 milliseconds", "2 milliseconds"]
    # the text reads back into numpy
    assert np.datetime64(loaded["when"]) == np.datetime64("2026-01-02T03:04:05")
