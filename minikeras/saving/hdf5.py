"""HDF5 model files.

Layout (format_version 1)::

    /                     attrs: format="minikeras", format_version, kind ("model" | "weights"),
                                 minikeras_version, model_config (JSON), compile_config (JSON),
                                 training_state (JSON: epoch, random generator state, split seed)
    /weights/<layer>/<array>          every layer's params and state (BatchNorm moving statistics)
    /optimizer                        attrs: iterations, last_learning_rate
    /optimizer/<slot>/<layer>/<param> optimizer slots (velocity, m, v, ...)
    /fit_position                     (backups only) attrs: epoch, batch; dataset order (the epoch's
                                      sample order, when shuffled)

Nothing in a file is executed: configs are JSON, classes are looked up by name in
minikeras' registries, arrays must be numeric. This module talks to a model through its public
methods and its `engine` (`minikeras.engine.Engine`), and never imports the model module: the
model class to rebuild is passed to `load_model`.
"""
from __future__ import annotations

import json
import math
import os
import stat
import warnings

import h5py
import numpy as np

from ..checks import is_int, non_finite_names
from ..layers.weights import building_from_file
from ..version import __version__
from .atomic import atomic_path
from .heap_check import STRING_ATTRIBUTES, string_attribute_problem

FORMAT = "minikeras"
FORMAT_VERSION = 1
READABLE_VERSIONS = (1,)
STANDARD_FILTERS = (h5py.h5z.FILTER_DEFLATE, h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_FLETCHER32)
MIN_CHUNK_BYTES = 1 << 20
MAX_EXPANSION = 1100  # deflate, the strongest compression of HDF5 and zip files, expands data at most ~1032-fold
MAX_JSON_CHARS = 1 << 22  # a config of 4 M characters describes thousands of layers; larger ones are refused


class ModelFileError(ValueError):
    """A file that is not a readable minikeras file (missing, corrupt, truncated, tampered)."""


# -- writing ---------------------------------------------------------------------------------------
def save_model(model, path, position=None, follow_links: bool = True) -> None:
    """Write architecture, weights, compile settings, optimizer state and training position; and
    `position` (a `FitPosition`: where in a fit run, for `BackupAndRestore`) if given. A callback
    managing its own files passes ``follow_links=False`` (see `atomic_path`)."""
    engine = model.engine
    with atomic_path(path, follow_links) as temporary, h5py.File(temporary, "w") as f:
        _write_header(f, "model", __version__)
        f.attrs["model_config"] = json.dumps(model.file_config())
        f.attrs["compile_config"] = json.dumps(model.get_compile_config())
        f.attrs["training_state"] = json.dumps(model.get_training_state())
        _write_weights(f, engine)
        if engine.optimizer is not None:
            _write_optimizer(f, engine)
        if position is not None:
            group = f.create_group("fit_position")
            group.attrs["epoch"], group.attrs["batch"] = position.epoch, position.batch
            if position.order is not None:
                group.create_dataset("order", data=position.order)


def save_weights(model, path, follow_links: bool = True) -> None:
    """Write only the weights (``/weights/<layer>/<array>``)."""
    engine = model.engine
    with atomic_path(path, follow_links) as temporary, h5py.File(temporary, "w") as f:
        _write_header(f, "weights", __version__)
        _write_weights(f, engine)


def _write_header(f: h5py.File, kind: str, version: str) -> None:
    f.attrs["format"] = FORMAT
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["kind"] = kind
    f.attrs["minikeras_version"] = version


def layer_keys(layers) -> list[str]:
    """The group of each layer's weights: its name, and ``name~1``, ``name~2``, ... for a later layer
    of the same name (a layer of a model nested in the model may share a name with an outer one)."""
    keys: list[str] = []
    for layer in layers:
        key, count = str(layer.name), 0
        while key in keys:
            count += 1
            key = f"{layer.name}~{count}"
        keys.append(key)
    return keys


def _write_weights(f: h5py.File, engine) -> None:
    group = f.create_group("weights")
    for layer, key in zip(engine.layers, layer_keys(engine.layers)):
        layer_group = group.create_group(key)
        for name, variable in layer.weight_entries():  # a sublayer's weight: "<attribute>/<name>"
            layer_group.create_dataset(name, data=variable.value)


def _write_optimizer(f: h5py.File, engine) -> None:
    state: dict = {}
    engine.optimizer.save_own_variables(state)
    group = f.create_group("optimizer")
    group.attrs["iterations"] = state.pop("iterations")
    group.attrs["last_learning_rate"] = json.dumps(state.pop("last_learning_rate"))
    for key, array in state.items():
        group.create_dataset(key, data=array)


# -- reading ---------------------------------------------------------------------------------------
def load_model(path, model_class, compile: bool = True):  # noqa: A002 - Keras' name
    """A `model_class` rebuilt from a `save_model` file: same predictions, and `fit` continues exactly
    (``compile=False``: architecture and weights only)."""
    with _open(path) as f:
        try:
            if _attr(f, "kind") != "model":
                raise ModelFileError("it holds weights only (written by save_weights): build the same model and "
                                     "call model.load_weights on it")
            with building_from_file(weight_budget(path)):
                model = model_class.from_config(json_attr(f, "model_config"))
            compile_config = json_attr(f, "compile_config") if compile else None
            if compile_config is not None:
                model.compile_from_config(compile_config)
            weights = _read_weights(f, model.engine)
            warn_if_non_finite(path, model, weights)
            model.set_weights(weights)
            if compile_config is not None and f.get("optimizer", getlink=True) is not None:
                _read_optimizer(f, model.engine)
            model.set_training_state(_training_state(json_attr(f, "training_state")))
        except (KeyError, TypeError, ValueError, OSError, OverflowError, RecursionError, RuntimeError) as error:
            raise file_error(path, error) from None
        except MemoryError:
            raise ModelFileError(f"Cannot load {os.fspath(path)!r}: its architecture needs more memory than "
                                 f"there is (a damaged or tampered layer size?)") from None
    return model


def weight_budget(path) -> int:
    """The most bytes of weights a file of `path`'s size can hold, compressed or not: the
    architecture a loader builds (`building_from_file`) may declare no more."""
    return MAX_EXPANSION * os.path.getsize(path) + (1 << 20)


def read_fit_position(path, n_samples: int) -> tuple[int, int, np.ndarray | None]:
    """``(epoch, batch, order)`` of a backup written with a position (`save_model`), for training
    data of `n_samples` (an order of another length is refused before it is read)."""
    with _open(path) as f:
        try:
            group = member(f, "fit_position")
            epoch = _count(_attr(group, "epoch"), "fit_position epoch")
            batch = _count(_attr(group, "batch"), "fit_position batch")
            order = None
            if group.get("order", getlink=True) is not None:
                item = member(group, "order")
                if not isinstance(item, h5py.Dataset) or item.dtype.kind not in "iu":
                    raise ModelFileError("fit_position/order must be an integer array")
                order = checked_array(group, "order", (n_samples,)).astype(np.int64)
        except (KeyError, TypeError, ValueError, OSError, RuntimeError) as error:
            raise file_error(path, error) from None
    return epoch, batch, order


def file_kind(path) -> str:
    """``"model"`` (written by save_model) or ``"weights"`` (save_weights); ModelFileError otherwise."""
    with _open(path) as f:
        try:
            kind = _attr(f, "kind")
        except (KeyError, TypeError, ValueError, OSError, RuntimeError) as error:
            raise file_error(path, error) from None
    if kind not in ("model", "weights"):
        raise ModelFileError(f"Cannot load {os.fspath(path)!r}: unknown kind {kind!r}")
    return kind


def weight_shapes(path) -> list[tuple[str, tuple[int, ...], str]]:
    """``(layer/array, shape, dtype)`` of every array under /weights, read from the file's metadata
    (no array is loaded)."""
    with _open(path) as f:
        try:
            group = member(f, "weights")
            found = []
            for layer_name in group:
                layer_group = member(group, layer_name)
                arrays = [(name, member(layer_group, name)) for name in layer_group] \
                    if isinstance(layer_group, h5py.Group) else []
                found += [(f"{layer_name}/{name}", item.shape, str(item.dtype)) for name, item in arrays
                          if isinstance(item, h5py.Dataset)]
        except ModelFileError as error:
            raise file_error(path, error) from None
    return found


def load_weights(model, path) -> None:
    """Set `model`'s weights from a file written by `save_weights` or `save_model`.

    Every array is read and checked against the model before any weight changes.
    """
    engine = model.engine
    with _open(path) as f:
        try:
            arrays = _read_weights(f, engine)
        except (KeyError, TypeError, ValueError, OSError, RuntimeError) as error:
            raise file_error(path, error) from None
    model.set_weights(arrays)


def _open(path) -> h5py.File:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    if os.path.isdir(path):
        raise ModelFileError(f"Cannot load {path!r}: it is a folder, not a model file (a .h5 written by model.save).")
    if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or device would block or never end
        raise ModelFileError(f"Cannot load {path!r}: it is not a regular file (a pipe, socket or device).")
    without_filter_plugins()
    problem = string_attribute_problem(path)  # before HDF5 allocates what a damaged heap record claims
    if problem is not None:
        raise ModelFileError(f"Cannot load {path!r}: {problem}")
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        raise ModelFileError(f"{path!r} is not a readable HDF5 file (truncated or corrupt?): {error}") from None
    try:
        try:
            found = _attr(f, "format")
        except ModelFileError:  # missing or unreadable: either way not a file this reader knows
            found = None
        if not isinstance(found, str) or found != FORMAT:
            raise ModelFileError("it is an HDF5 file but not a minikeras file")
        version = _attr(f, "format_version")
        if version not in READABLE_VERSIONS:
            raise ModelFileError(f"format_version {version!r}; this minikeras reads {READABLE_VERSIONS}")
    except (ModelFileError, KeyError, TypeError, ValueError, OSError, RuntimeError) as error:
        f.close()
        raise file_error(path, error) from None
    return f


def file_error(path, error: Exception, read_as: str = "") -> ModelFileError:
    """The ModelFileError for `error` met while reading `path` (as `read_as`, e.g. "a Keras file")."""
    reason = error.args[0] if isinstance(error, KeyError) and error.args else error
    return ModelFileError(f"Cannot load {os.fspath(path)!r}{' as ' + read_as if read_as else ''}: {reason}")


def _attr(f: h5py.File, key: str):
    """The attribute `key` of `f`, its datatype checked before HDF5 reads the value (`_type_problem`)."""
    try:
        if key not in f.attrs:
            raise ModelFileError(f"the attribute {key!r} is missing")
        problem = _type_problem(key, h5py.h5a.open(f.id, key.encode()).get_type())
        if problem is not None:
            raise ModelFileError(f"the attribute {key!r} {problem}")
        value = f.attrs[key]
    except (RuntimeError, OSError) as error:  # h5py's words for a damaged attribute table
        raise ModelFileError(f"the attribute {key!r} cannot be read (a damaged file?): {error}") from None
    return value.item() if isinstance(value, np.generic) else value


def _type_problem(key: str, datatype) -> str | None:
    """Why an attribute of `datatype` is not read, or None: a number, or a string (a
    variable-length one only under a name the heap check has looked at), stored inline. A
    committed (named) datatype, or a variable-length string elsewhere, could make HDF5 allocate
    what a damaged record claims."""
    if datatype.committed():
        return "has a committed (named) datatype; minikeras files store their attributes' types inline"
    kind = datatype.get_class()
    if kind in (h5py.h5t.INTEGER, h5py.h5t.FLOAT):
        return None
    if kind == h5py.h5t.STRING:
        if datatype.is_variable_str() and key not in STRING_ATTRIBUTES:
            return "is a variable-length string where a minikeras file stores a number"
        return None
    return f"has an HDF5 type of class {kind}; minikeras files store numbers and strings only"


def json_attr(f: h5py.File, key: str):
    text = _attr(f, key)
    if not isinstance(text, str):
        raise ModelFileError(f"the attribute {key!r} is not text")
    if len(text) > MAX_JSON_CHARS:
        raise ModelFileError(f"the attribute {key!r} holds {len(text):,} characters; at most {MAX_JSON_CHARS:,} "
                             f"are read")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"the attribute {key!r} is not valid JSON ({error})") from None
    except RecursionError:
        raise ModelFileError(f"the attribute {key!r} is nested too deeply to be a model's config") from None


def _refuse_constant(name: str):
    raise ModelFileError(f"{name} is not a number a model file holds")


def _count(value, what: str) -> int:
    """A non-negative integer from a file (a float like 1e400 or -1 is refused)."""
    if not is_int(value, 0):
        raise ModelFileError(f"{what} must be a non-negative integer; got {value!r}")
    return int(value)


def _training_state(state) -> dict:
    if not isinstance(state, dict):
        raise ModelFileError(f"training_state must be a JSON object; got {type(state).__name__}")
    return {**state, "epoch": _count(state.get("epoch"), "training_state epoch"),
            "split_seed": _count(state.get("split_seed"), "training_state split_seed")}


def warn_if_non_finite(path, model, arrays) -> None:
    """Warn, naming them, when the `arrays` read for `model`'s weights hold NaN or inf."""
    bad = non_finite_names(zip((variable.path for variable in model.weights), arrays))
    if bad:
        warnings.warn(f"{os.fspath(path)}: {', '.join(bad)} hold NaN or inf (saved from a diverged model?)",
                      stacklevel=3)


def member(group: h5py.Group, path: str):
    """The object at `path` below `group`, reached through hard links only: a soft or external
    link (which could point at another object, or into another file) is refused."""
    item = group
    for part in path.split("/"):
        try:
            link = item.get(part, getlink=True) if isinstance(item, h5py.Group) else None
            if isinstance(link, h5py.HardLink):
                item = item[part]
                continue
        except (RuntimeError, OSError, KeyError) as error:  # h5py's words for a damaged object table
            raise ModelFileError(f"{item.name.rstrip('/')}/{part} cannot be read (a damaged file?): {error}") from None
        if link is None:
            raise ModelFileError(f"the array {group.name.rstrip('/')}/{path} is missing")
        raise ModelFileError(f"{item.name.rstrip('/')}/{part} is a {type(link).__name__}; a minikeras file "
                             f"holds its arrays itself, so links are refused")
    return item


def checked_array(group: h5py.Group, path: str, shape: tuple[int, ...]) -> np.ndarray:
    """The numeric array at `path`, checked to be stored in this file (no external raw storage, no
    virtual dataset), to have the `shape` the model gives it, and to be stored through the standard
    filters only (`check_storage`), before anything is read."""
    item = member(group, path)
    if not isinstance(item, h5py.Dataset):
        raise ModelFileError(f"{item.name} is a {type(item).__name__}, not an array")
    if item.external or item.is_virtual:
        raise ModelFileError(f"the array {item.name} keeps its values outside this file (external storage or a "
                             f"virtual dataset); refused")
    if item.dtype.kind not in "fiu":
        raise ModelFileError(f"the array {item.name} has non-numeric dtype {item.dtype}")
    if item.shape != tuple(shape):
        raise ModelFileError(f"the array {item.name} has shape {item.shape}; the model's is {tuple(shape)}")
    check_storage(item)
    return item[()]


def check_storage(item: h5py.Dataset) -> None:
    """Refuse a dataset stored through a filter other than gzip, shuffle and Fletcher-32 (another
    would make HDF5 load a plugin library to read it), or in chunks larger than the array itself
    (a chunk's declared size is allocated before its data is decompressed)."""
    plist = item.id.get_create_plist()
    for index in range(plist.get_nfilters()):
        code = plist.get_filter(index)[0]
        if code not in STANDARD_FILTERS:
            raise ModelFileError(f"the array {item.name} is stored through HDF5 filter {code}; only the standard "
                                 f"gzip, shuffle and Fletcher-32 filters are read (another would load a plugin)")
    if plist.get_layout() == h5py.h5d.CHUNKED:
        chunk_bytes = math.prod(plist.get_chunk()) * item.dtype.itemsize
        if chunk_bytes > max(item.dtype.itemsize * math.prod(item.shape), MIN_CHUNK_BYTES):
            raise ModelFileError(f"the array {item.name} declares chunks of {chunk_bytes:,} bytes, larger than the "
                                 f"array itself")


def without_filter_plugins() -> None:
    """Empty HDF5's plugin search path (as set by HDF5_PLUGIN_PATH), so that no file read by this
    process can make HDF5 load a library from it."""
    while h5py.h5pl.size():
        h5py.h5pl.remove(0)


def _read_weights(f: h5py.File, engine) -> list[np.ndarray]:
    return [checked_array(f, f"weights/{key}/{name}", array.shape)
            for layer, key in zip(engine.layers, layer_keys(engine.layers))
            for name, array in zip(layer.weight_names(), layer.weights)]


def _read_optimizer(f: h5py.File, engine) -> None:
    group = member(f, "optimizer")
    optimizer = engine.optimizer
    state: dict = {key: checked_array(group, key, shape) for key, shape in optimizer.own_variable_shapes().items()}
    state["iterations"] = _count(_attr(group, "iterations"), "optimizer iterations")
    rate = json.loads(_attr(group, "last_learning_rate"), parse_constant=_refuse_constant)
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate)
                             or rate < 0):
        raise ModelFileError(f"optimizer last_learning_rate must be a finite rate >= 0 or null; got {rate!r}")
    state["last_learning_rate"] = rate
    optimizer.load_own_variables(state)
