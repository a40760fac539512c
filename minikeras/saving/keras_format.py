"""Keras 3's native ``.keras`` files: a zip of ``metadata.json``, ``config.json`` (the Sequential
model's config, Keras' layer names and arguments) and ``model.weights.h5`` (each layer's variables
as ``layers/<name>/vars/<i>``, in Keras' order).

Writing maps each minikeras layer to the Keras layer (or short chain of layers) that computes the
same function, and refuses a layer Keras cannot express, naming it. The weights are those of
`Layer.get_weights`, whose order is Keras' for every layer written here.
"""
from __future__ import annotations

import datetime
import io
import json
import lzma
import os
import stat
import zipfile
import zlib
from typing import Any

import h5py

from ..checks import snake_case
from ..graph_config import keras_config_order
from ..layers.base import Layer
from ..layers.base import registry as layer_registry
from ..layers.input import InputLayer
from ..layers.keras_objects import keras_object
from ..layers.weights import building_from_file
from ..registry import family
from ..version import __version__
from . import keras_custom
from .atomic import atomic_path
from .hdf5 import (
    MAX_JSON_CHARS,
    checked_array,
    file_error,
    warn_if_non_finite,
    weight_budget,
    without_filter_plugins,
)
from .keras_compile import compile_config, compile_from_config

KERAS_FORMAT_VERSION = "3.0.0"  # the oldest Keras 3 that reads these files
# -- layers ----------------------------------------------------------------------------------------
def _batch_shape(shape):
    """Keras' ``[None, ...]`` of a per-sample shape, or the list of them for a merge layer."""
    return [_batch_shape(one) for one in shape] if isinstance(shape, list) else [None, *shape]


# Keras layers whose constructor takes no `trainable` (their own configs leave it out).
WITHOUT_TRAINABLE = frozenset({"SpatialDropout1D", "SpatialDropout2D"})


def _layer(class_name: str, name: str, config: dict, input_shape=None, trainable: bool = True,
           dtype: str = "float32") -> dict:
    flags = {"name": name, "dtype": dtype} if class_name in WITHOUT_TRAINABLE else \
        {"name": name, "trainable": trainable, "dtype": dtype}
    entry = keras_object("keras.layers", class_name, {**flags, **config})
    if input_shape is not None:
        entry["build_config"] = {"input_shape": _batch_shape(input_shape)}
    return entry


def entry_name(entry: dict) -> str:
    """A Keras layer entry's name (a custom layer's config may leave it out: Keras keeps it beside)."""
    return entry.get("name") or entry["config"]["name"]


def _keras_layers(layer, dtype: str) -> list[tuple[dict, Any]]:
    """``(Keras layer config, weights)`` of each Keras layer that computes `layer` (`Layer.keras_layers`);
    a layer written with ``call`` is one custom entry whose weights are nested (`keras_custom`)."""
    if layer.written_with_call and type(layer).keras_layers is Layer.keras_layers:
        paths = [(path.lstrip("/"), variable.numpy()) for variable, path in keras_custom.variable_paths(layer, "")]
        return [(keras_custom.entry(layer, _batch_shape(layer.input_shape)), {"paths": paths})]
    return [(_layer(class_name, name, config, layer.input_shape if weights else None, layer.trainable, dtype), weights)
            for class_name, name, config, weights in layer.keras_layers()]


def weight_paths(class_names: list[str]) -> list[str]:
    """Where Keras keeps each layer's variables: ``layers/<class in snake case>[_k]/vars``, numbered
    per class in layer order (Keras names the groups by class, not by the layers' names)."""
    used: dict[str, int] = {}
    paths = []
    for class_name in class_names:
        stem = snake_case(class_name)
        used[stem] = used.get(stem, -1) + 1
        paths.append(f"layers/{stem}{'_' + str(used[stem]) if used[stem] else ''}/vars")
    return paths


def _input_layer(name: str, shape, dtype: str) -> dict:
    return keras_object("keras.layers", "InputLayer", {"batch_shape": [None, *shape], "dtype": dtype, "sparse": False,
                                                       "name": name})


def _sequential_config(model, dtype: str) -> tuple[dict, list]:
    pieces: list[tuple[dict, Any]] = []
    for layer in model.layers:
        if isinstance(layer, Layer):
            pieces += _keras_layers(layer, dtype)
        else:
            config, inner = model_config(layer, dtype)
            pieces.append(({**config, "name": layer.name}, {"layers": inner}))
    config = keras_object("keras", "Sequential", {
        "name": model.name, "trainable": True, "dtype": dtype,
        "layers": [_input_layer("input_layer", model.sample_shape, dtype), *(c for c, _ in pieces)]})
    config["build_config"] = {"input_shape": [None, *model.sample_shape]}
    return config, pieces


def _tensor(shape, dtype: str, history: tuple[str, int]) -> dict:
    return {"class_name": "__keras_tensor__", "config": {"shape": [None, *shape], "dtype": dtype,
                                                         "keras_history": [*history, 0]}}


def model_config(model, dtype: str) -> tuple[dict, list]:
    """Keras' config of a Sequential or functional `model` and its ``(entry, weights)`` pieces."""
    return (_functional_config if hasattr(model, "node_names") else _sequential_config)(model, dtype)


def _graph_pieces(model, dtype: str) -> list[tuple[Any, list]]:
    """``(layer, [(Keras layer entry, weights), ...])`` of every layer of a functional `model`; a
    model used as a layer is one entry (its own config) whose weights are its pieces, ``{"layers": ...}``."""
    found: list[tuple[Any, list]] = []
    for layer in model.layers:
        if not isinstance(layer, Layer):
            config, pieces = model_config(layer, dtype)
            found.append((layer, [(config, {"layers": pieces})]))
        elif isinstance(layer, InputLayer):
            found.append((layer, [(_input_layer(str(layer.name), layer.shape, dtype), [])]))
        else:
            found.append((layer, _keras_layers(layer, dtype)))
    return found


def _functional_config(model, dtype: str) -> tuple[dict, list]:
    """Keras' functional config (layers with their ``inbound_nodes``) and the ``(entry, weights)`` of
    each Keras layer in order: a minikeras layer written as several Keras layers (a Dense with an
    activation) is a chain of them, the first reading what it reads."""
    node_names = model.node_names()
    graph = _graph_pieces(model, dtype)
    last_piece = {str(layer.name): entry_name(pieces[-1][0]) for layer, pieces in graph}

    def reference(tensor) -> tuple[str, int]:
        layer_name, call = node_names[id(tensor)]
        return last_piece[layer_name], call

    entries: list = []
    for layer, pieces in graph:
        calls = [node for node in model.graph_calls() if node.layer is layer]
        previous: str | None = None
        for entry, weights in pieces:
            nodes: list[dict] = []
            for index, node in enumerate(calls):
                if previous is None:
                    reads = [_tensor(t.sample_shape, dtype, reference(t)) for t in node.inputs]
                    nodes.append({"args": [reads] if node.merged else reads, "kwargs": {}})
                else:
                    nodes.append({"args": [_tensor(node.output.sample_shape, dtype, (previous, index))], "kwargs": {}})
            previous = entry_name(entry)
            entries.append(({**entry, "name": previous, "inbound_nodes": nodes}, weights))
    ends = {part: [[*reference(t), 0] for t in tensors]
            for part, tensors in (("input_layers", model.inputs), ("output_layers", model.outputs))}
    body = {"name": model.name, "trainable": True, "layers": [entry for entry, _ in entries], **ends}
    order = {name: index for index, name in enumerate(keras_config_order(body))}
    entries.sort(key=lambda item: order[item[0]["name"]])  # Keras numbers the weight groups in its order
    body["layers"] = [entry for entry, _ in entries]
    config = keras_object("keras.src.models.functional", "Functional", body)
    config["registered_name"] = "Functional"
    return config, entries


def _write_weights(f: h5py.File, prefix: str, pieces: list) -> None:
    """Each piece's arrays under ``<prefix>layers/<class>[_k]/vars/<i>``; a nested model's pieces
    under its own ``layers/`` group, numbered anew (Keras' layout)."""
    paths = weight_paths([entry["class_name"] for entry, _ in pieces])
    for (entry, arrays), group_path in zip(pieces, paths):
        group = f.create_group(prefix + group_path)
        group.attrs["name"] = entry_name(entry)
        if isinstance(arrays, dict) and "paths" in arrays:  # a layer written with call: Keras' nested groups
            for relative, array in arrays["paths"]:
                f.create_dataset(prefix + group_path[:-len("vars")] + relative, data=array)
            continue
        if isinstance(arrays, dict):
            _write_weights(f, prefix + group_path[:-len("vars")], arrays["layers"])
            continue
        for index, array in enumerate(arrays):
            group.create_dataset(str(index), data=array)


def save_keras(model, path, follow_links: bool = True) -> None:
    """Write `model` (a built Sequential, functional or registered subclassed model) as a Keras 3
    ``.keras`` file, atomically."""
    dtype = str(model.dtype)
    if not hasattr(model, "node_names") and not hasattr(model, "sample_shape"):  # a subclassed model
        config = keras_custom.model_entry(model)
        pieces = [(variable.numpy(), path.lstrip("/")) for variable, path in keras_custom.variable_paths(model, "")]
        return _write_archive(model, path, config, lambda f: [f.create_dataset(where, data=array)
                                                              for array, where in pieces], follow_links)
    config, pieces = model_config(model, dtype)
    names = [entry_name(entry) for entry, _ in pieces]
    if len(set(names)) != len(names):
        raise ValueError(f"Cannot write a Keras file: layer names must be unique; got {names}.")
    _write_archive(model, path, config, lambda f: _write_weights(f, "", pieces), follow_links)


def _write_archive(model, path, config: dict, write_weights, follow_links: bool) -> None:
    """The zip: metadata, `config` (with the compile settings) and the weights `write_weights` puts."""
    compiled = compile_config(model)
    if compiled is not None:
        config["compile_config"] = compiled
    metadata = {"keras_version": KERAS_FORMAT_VERSION, "minikeras_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("vars").attrs["name"] = model.name
        write_weights(f)
    with atomic_path(path, follow_links) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.getvalue())


# -- reading ---------------------------------------------------------------------------------------
MEMBERS = ("metadata.json", "config.json", "model.weights.h5")
def readable_layers() -> dict[str, type]:
    """Keras class name -> the registered minikeras layer class that reads it (`Layer.keras_class`;
    where several write the same Keras class, the one of that name reads it). Nothing else is read."""
    found: dict[str, Any] = {}
    classes: list[Any] = layer_registry.classes()
    for cls in classes:
        name = cls.keras_class
        if name is not None and (name not in found or cls.__name__ == name):
            found[name] = cls
    return found


# Keras arguments minikeras has no use for, whatever their value (renorm_momentum matters only with renorm).
IGNORED = {"name", "trainable", "dtype", "renorm_momentum", "lora_alpha"}
NEUTRAL_VALUES: tuple[object, ...] = (None, False, "channels_last", [], {})


def _keras_layer_arguments(entry: dict) -> tuple[type, dict]:
    """The minikeras class and constructor arguments of one Keras layer config, or ModelFileError-worthy
    ValueError naming the layer and what is not supported."""
    class_name, config = entry.get("class_name"), entry.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    readable = readable_layers()
    if entry.get("registered_name") not in (None, class_name) or class_name not in readable \
            or not str(entry.get("module", "keras.layers")).startswith("keras"):
        raise ValueError(f"layer {name!r} is a {entry.get('module')}.{class_name} (registered as "
                         f"{entry.get('registered_name')!r}); minikeras reads the Keras layers "
                         f"{', '.join(sorted(readable))} only, and runs nothing from the file")
    if not isinstance(config, dict):
        raise ValueError(f"layer {class_name}'s config is not a JSON object")
    cls: Any = readable[class_name]
    keys = cls.keras_arguments
    for key, value in config.items():
        if key not in keys and key not in IGNORED and value not in NEUTRAL_VALUES:
            raise ValueError(f"layer {name!r} ({class_name}) sets {key}={value!r}, which minikeras does not support")
    if class_name == "Activation" and not isinstance(config.get("activation"), str):
        raise ValueError(f"layer {name!r} applies {config.get('activation')!r}; minikeras reads activations by "
                         f"name only")
    return cls, {key: config[key] for key in keys if key in config}


def _dtype(config) -> str:
    policy = config.get("dtype", "float32")
    name = policy.get("config", {}).get("name") if isinstance(policy, dict) else policy
    if name not in ("float32", "float64"):
        raise ValueError(f"the model's dtype policy is {name!r}; minikeras computes in float32 or float64")
    return name


MODEL_CLASSES = ("Sequential", "Functional", "Model")


def _keras_layer(entry: dict, model_class):
    """A layer of a Keras config, or (a model used as a layer) a model of `model_class`."""
    if not isinstance(entry, dict):
        raise ValueError(f"a layer entry is {type(entry).__name__}, not a JSON object")
    if entry.get("class_name") in MODEL_CLASSES and str(entry.get("module", "keras")).startswith("keras") \
            and entry.get("registered_name") in (None, entry.get("class_name")):
        return _model_from(entry, model_class)
    if keras_custom.is_custom_entry(entry):
        return keras_custom.layer_from(entry)
    cls, arguments = _keras_layer_arguments(entry)
    return cls(name=entry["config"].get("name"), trainable=entry["config"].get("trainable", True), **arguments)


def _sequential_from_config(config: dict, model_class):
    body = config["config"]
    entries = body.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ValueError("the Sequential config lists no layers")
    shape = None
    if isinstance(entries[0], dict) and entries[0].get("class_name") == "InputLayer":
        input_config = entries[0].get("config")
        batch_shape = input_config.get("batch_shape") if isinstance(input_config, dict) else None
        if not isinstance(batch_shape, list) or len(batch_shape) < 2:
            raise ValueError(f"the InputLayer's batch_shape is {batch_shape!r}")
        shape, entries = tuple(batch_shape[1:]), entries[1:]
    elif isinstance(config.get("build_config"), dict):
        shape = tuple(config["build_config"].get("input_shape", [None])[1:]) or None
    layers = [_keras_layer(entry, model_class) for entry in entries]
    model = model_class(layers=layers, name=body.get("name"), input_dim=shape, dtype=_dtype(body))
    model.build()
    return model


def model_from_keras_config(config: dict, model_class, path):
    """A built `model_class` from Keras' Sequential or functional config, its weights zeros (no
    initializer runs: the file's arrays are read next), refused unless a file of `path`'s size can
    hold them (`building_from_file`)."""
    with building_from_file(weight_budget(path)):
        return _model_from(config, model_class)


def _model_from(config, model_class):
    if isinstance(config, dict) and keras_custom.is_custom_entry(config):  # a subclassed model
        return keras_custom.model_from(config, family("model"))
    kind = config.get("class_name") if isinstance(config, dict) else None
    if kind not in MODEL_CLASSES or not isinstance(config.get("config"), dict):
        raise ValueError(f"it holds a Keras {kind if kind else config!r} model; minikeras reads Sequential and "
                         f"functional models")
    if kind == "Sequential":
        return _sequential_from_config(config, model_class)
    body = config["config"]
    return model_class.kind("functional").from_graph(body, lambda entry: _keras_layer(entry, model_class),
                                                     dtype=_dtype(body))


def weight_groups(config: dict, model, prefix: str = "") -> list[tuple[object, str]]:
    """``(layer, group of its variables)`` for every layer of `model` holding weights, found by name
    in Keras' layout (a nested model's layers under its own ``layers/`` group)."""
    entries = config["config"]["layers"]
    if config["class_name"] == "Sequential":
        entries = [entry for entry in entries if entry["class_name"] != "InputLayer"]
    else:
        by_name = {entry["name"]: entry for entry in entries}
        entries = [by_name[name] for name in keras_config_order(config["config"])]
    groups: list[tuple[object, str]] = []
    for entry, path in zip(entries, weight_paths([entry["class_name"] for entry in entries])):
        layer = model.get_layer(entry.get("name") or entry["config"].get("name"))
        if entry["class_name"] in MODEL_CLASSES:
            groups += weight_groups(entry, layer, prefix + path[:-len("vars")])
        elif layer.weights:
            groups.append((layer, prefix + path))
    return groups


def regular_file(path) -> bool:
    """Whether `path` is a regular file (a FIFO or device would block or never end when read)."""
    return os.path.exists(path) and stat.S_ISREG(os.stat(path).st_mode)


def is_keras_file(path) -> bool:
    """Whether `path` is a regular file that starts as a zip archive does (a ``.keras`` file)."""
    path = os.fspath(path)
    if not regular_file(path):
        return False
    with open(path, "rb") as file:
        return file.read(4) == b"PK\x03\x04"


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """Member `name`, refused when it declares or turns out to hold more than `limit` bytes."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ValueError(f"its member {name!r} declares {info.file_size:,} bytes; at most {limit:,} are read")
    with archive.open(info) as member_file:
        data = member_file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"its member {name!r} holds more than {limit:,} bytes")
    return data


def _refuse_constant(name: str):
    raise ValueError(f"the config holds {name}, which is not JSON")


def _keras_model(path, model_class, compile):  # noqa: A002 - Keras' name
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if not set(names) <= set(MEMBERS) or not {"config.json", "model.weights.h5"} <= set(names) \
                or len(names) != len(set(names)):
            raise ValueError(f"its members are {names}; a Keras file holds {', '.join(MEMBERS)}")
        config = json.loads(_read_member(archive, "config.json", MAX_JSON_CHARS), parse_constant=_refuse_constant)
        model = model_from_keras_config(config, model_class, path)
        # The weights file holds the model's arrays (at most 8 bytes a number) and HDF5's bookkeeping.
        limit = 8 * model.count_params() + (1 << 20)
        weights = _read_member(archive, "model.weights.h5", limit)
    without_filter_plugins()
    with h5py.File(io.BytesIO(weights), "r") as f:
        arrays = _model_arrays(f, config, model)
    warn_if_non_finite(path, model, arrays)
    model.set_weights(arrays)
    if compile and config.get("compile_config") is not None:
        compile_from_config(model, config["compile_config"], path)
    return model


def _model_arrays(f, config: dict, model) -> list:
    """The arrays of `model`'s weights (`model.weights` order) in a Keras weights file."""
    if keras_custom.is_custom_entry(config):  # a subclassed model: weights nested by attribute from the root
        by_variable = {id(variable): checked_array(f, path.lstrip("/"), variable.shape)
                       for variable, path in keras_custom.variable_paths(model, "")}
        return [by_variable[id(variable)] for variable in model.weights]
    found = {id(layer): _layer_arrays(f, layer, group) for layer, group in weight_groups(config, model)}
    return [array for layer in model.leaf_layers() for array in found.get(id(layer), [])]


def _layer_arrays(f, layer, group: str) -> list:
    """The arrays of `layer`'s weights in `group` (``.../vars``), in `layer.weights` order."""
    if not layer.written_with_call:
        return [checked_array(f, f"{group}/{index}", variable.shape) for index, variable in enumerate(layer.weights)]
    base = group[:-len("/vars")]
    by_variable = {id(variable): checked_array(f, base + path, variable.shape)
                   for variable, path in keras_custom.variable_paths(layer, "")}
    return [by_variable[id(variable)] for variable in layer.weights]


def load_keras(path, model_class, compile: bool = True):  # noqa: A002 - Keras' name
    """A `model_class` built from a Keras 3 ``.keras`` file of a Sequential model of the layers in
    `readable_layers`, with its weights (not compiled: Keras' optimizer state is not read). Nothing in the
    file is imported or run; anything else is refused with a `ModelFileError` naming the layer."""
    try:
        return _keras_model(path, model_class, compile)
    except (KeyError, TypeError, ValueError, OSError, RecursionError, RuntimeError, EOFError, NotImplementedError,
            zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError) as error:
        # zlib, lzma and zipfile's own words for a damaged member; NotImplementedError: a compression zipfile lacks
        raise file_error(path, error, "a Keras file") from None
    except MemoryError:
        raise file_error(path, MemoryError("it declares more than this machine's memory holds"), "a Keras file") \
            from None
