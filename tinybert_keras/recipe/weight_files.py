"""The tensors of a `pytorch_model.bin` or `model.safetensors` file, as numpy arrays.

A PyTorch checkpoint is a pickle, and unpickling runs whatever the file asks for, so a file from
the internet is never given to plain `pickle`. Where torch is importable (it is on every Colab),
`torch.load(..., weights_only=True)` reads it. Without torch, the pickle is read here by an
unpickler that allows only what a file of weights holds (`OrderedDict`, the tensor-rebuild
functions, the storage types) and refuses anything else with the file's name; the raw storages
are read into numpy: from the zip's `data/` entries (PyTorch 1.6 and later) or from after the
pickle (the legacy format of older releases).
"""

import collections
import dataclasses
import io
import pickle
import struct
import zipfile

import numpy as np

from tinybert_keras.data import DataError

# The first pickle of a legacy (pre-zip) PyTorch file.
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
# numpy has no bfloat16: its bits are the top half of a float32's.
STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool",
}


@dataclasses.dataclass(frozen=True)
class _StorageType:
    name: str


class _Storage:
    __slots__ = ("dtype", "count", "array")

    def __init__(self, dtype, count):
        self.dtype, self.count, self.array = dtype, count, None


@dataclasses.dataclass(frozen=True)
class _TensorRef:
    storage: object
    offset: object
    size: object
    stride: object


def _rebuild_tensor(storage, offset, size, stride, *_):
    return _TensorRef(storage, offset, size, stride)


def _rebuild_parameter(data, *_):
    return data


ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
}
"""The only globals a weights pickle may name, each mapped to a harmless stand-in."""


class _WeightsUnpickler(pickle.Unpickler):
    def __init__(self, file, path, storages):
        super().__init__(file)
        self.path, self.storages = path, storages

    def find_class(self, module, name):
        if (module, name) not in ALLOWED:
            raise DataError(
                f"the pickle asks for {module}.{name}, which a file of weights never needs, so "
                "it was not loaded (only tensors, their storages and OrderedDict are allowed). "
                "The file may be malicious: get it from its publisher again.", source=self.path)
        return ALLOWED[(module, name)]

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and (len(pid) == 5 or pid[5] is None)):
            raise DataError(f"unexpected storage reference {pid!r}.", source=self.path)
        _, kind, key, _location, count = pid[:5]
        if str(key) not in self.storages:
            self.storages[str(key)] = _Storage(STORAGE_DTYPES[kind.name], int(count))
        return self.storages[str(key)]


def _fill(storage, raw, byteorder, key, path):
    dtype = np.dtype("uint16" if storage.dtype == "bfloat16" else storage.dtype)
    needed = storage.count * dtype.itemsize
    if len(raw) < needed:
        raise DataError(f"storage {key} holds {len(raw)} bytes, {needed} expected: the file is "
                        "truncated. Download it again.", source=path)
    array = np.frombuffer(raw, dtype.newbyteorder("<" if byteorder == "little" else ">"),
                          count=storage.count).astype(dtype)
    if storage.dtype == "bfloat16":
        array = (array.astype("uint32") << 16).view("float32")
    storage.array = array


def _tensor(name, ref, path):
    def fail(problem):
        return DataError(f"tensor {name!r} {problem}: the file is corrupt.", source=path)

    if not isinstance(ref, _TensorRef) or not isinstance(ref.storage, _Storage):
        raise fail("is not a tensor")
    flat = ref.storage.array
    if flat is None:
        raise fail("has no data")
    try:
        offset, size, stride = int(ref.offset), tuple(map(int, ref.size)), tuple(map(int, ref.stride))
    except (TypeError, ValueError):
        raise fail(f"has a malformed layout ({ref.offset!r}, {ref.size!r}, {ref.stride!r})") from None
    if len(size) != len(stride) or min((offset, *size, *stride), default=0) < 0:
        raise fail(f"has a malformed layout (offset {offset}, size {size}, stride {stride})")
    if 0 in size:
        return np.zeros(size, flat.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise fail(f"reaches element {last} of a storage of {flat.size}")
    return np.lib.stride_tricks.as_strided(
        flat[offset:], size, [s * flat.itemsize for s in stride], writeable=False
    ).copy()


def _state_dict(result, storages, path):
    if not isinstance(result, dict) or not all(isinstance(key, str) for key in result):
        raise DataError(f"holds a {type(result).__name__}, not a state dict (names to tensors).",
                        source=path)
    return {name: _tensor(name, ref, path) for name, ref in result.items()}


def _read_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [name for name in names if name.rpartition("/")[2] == "data.pkl"]
        if len(pickles) != 1:
            raise DataError(f"is a zip archive with {len(pickles)} data.pkl entries, not a "
                            "PyTorch checkpoint.", source=path)
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = (archive.read(prefix + "byteorder").decode().strip()
                     if prefix + "byteorder" in names else "little")
        storages = {}
        result = _WeightsUnpickler(io.BytesIO(archive.read(pickles[0])), path, storages).load()
        for key, storage in storages.items():
            if f"{prefix}data/{key}" not in names:
                raise DataError(f"has no data/{key}, a storage its pickle uses: the file is "
                                "incomplete. Download it again.", source=path)
            _fill(storage, archive.read(f"{prefix}data/{key}"), byteorder, key, path)
    return _state_dict(result, storages, path)


def _read_legacy(path):
    with open(path, "rb") as file:
        storages = {}

        def load():
            return _WeightsUnpickler(file, path, storages).load()

        if load() != LEGACY_MAGIC:
            raise DataError("is not a PyTorch checkpoint (no zip archive, no legacy header).",
                            source=path)
        load(), load()  # the format's protocol version and the writer's type sizes
        result, keys = load(), load()
        # After the pickles, each storage: its element count, then its data, little-endian.
        for key in keys:
            storage = storages[str(key)]
            count = struct.unpack("<q", file.read(8))[0]
            if count != storage.count:
                raise DataError(f"storage {key} has {count} elements, {storage.count} expected.",
                                source=path)
            size = np.dtype("uint16" if storage.dtype == "bfloat16" else storage.dtype).itemsize
            _fill(storage, file.read(count * size), "little", key, path)
    return _state_dict(result, storages, path)


def _read_with_torch(torch, path):
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:
        raise DataError(f"torch.load(weights_only=True) refused it: {error}", source=path) from error
    if not isinstance(state, dict):
        raise DataError(f"holds a {type(state).__name__}, not a state dict.", source=path)
    return {name: tensor.detach().cpu().float().numpy() if tensor.is_floating_point()
            else tensor.detach().cpu().numpy() for name, tensor in state.items()}


def read_pytorch(path, use_torch=True):
    """The tensors of a PyTorch checkpoint (`torch.save` of a state dict), never unpickled blindly.

    Args:
        path: a `pytorch_model.bin` (zip format of PyTorch 1.6+, or the legacy format).
        use_torch: read it with `torch.load(..., weights_only=True)` when torch is importable;
            `False` always takes the restricted reader of this module.

    Returns:
        A dict from tensor name to numpy array (floating tensors as float32 when torch reads
        them; bfloat16 as float32 either way).

    Raises:
        DataError: naming the file, if it is truncated or corrupt, is not a state dict, or its
            pickle asks for anything but tensors (a malicious file is refused, never run).

    Example:
    ```python
    weights = read_pytorch("TinyBERT_General_4L_312D/pytorch_model.bin")
    weights["fit_dense.weight"].shape  # (768, 312)
    ```
    """
    if use_torch:
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None:
            return _read_with_torch(torch, path)
    with open(path, "rb") as file:
        head = file.read(2)
    if head == b"PK" and not zipfile.is_zipfile(path):
        raise DataError("is a truncated zip archive (its directory at the end is missing). "
                        "Download it again.", source=path)
    if head != b"PK" and head[:1] != b"\x80":
        raise DataError("is not a PyTorch checkpoint (neither a zip archive nor a pickle).",
                        source=path)
    try:
        return _read_zip(path) if head == b"PK" else _read_legacy(path)
    except DataError:
        raise
    except Exception as error:
        raise DataError(f"is not a complete PyTorch checkpoint ({type(error).__name__}: "
                        f"{error}): truncated or corrupt. Download it again.",
                        source=path) from error


def read_weights(path):
    """The tensors of a weights file: `model.safetensors`, or a PyTorch `pytorch_model.bin`.

    Args:
        path: the file; `.safetensors` by its suffix, anything else as a PyTorch checkpoint
            (`read_pytorch`).

    Returns:
        A dict from tensor name to numpy array.

    Raises:
        DataError: naming the file, if it cannot be read.

    Example:
    ```python
    weights = read_weights("TinyBERT_General_4L_312D/model.safetensors")
    ```
    """
    if str(path).endswith(".safetensors"):
        from safetensors.numpy import load_file

        try:
            return load_file(str(path))
        except Exception as error:
            raise DataError(f"is not a readable safetensors file ({error}). Download it again.",
                            source=path) from error
    return read_pytorch(path)
