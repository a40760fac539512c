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
import os
import re
import stat
import zipfile

import h5py

from .. import initializers
from ..layers import activations as act
from ..layers.batchnorm import BatchNorm, BatchNormalization
from ..layers.dense import Dense
from ..layers.dropout import Dropout
from ..layers.layer_normalization import LayerNormalization
from ..layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from ..layers.preprocessing import Normalization, Rescaling
from ..layers.reshape import Flatten, Identity, Reshape
from ..backend.kernels import SCALED_TANH_A, SCALED_TANH_B
from ..version import __version__
from .atomic import atomic_path
from .hdf5 import MAX_JSON_CHARS, checked_array, file_error, json_attr, member, without_filter_plugins
from .heap_check import string_attribute_problem

KERAS_FORMAT_VERSION = "3.0.0"  # the oldest Keras 3 that reads these files
# Activation names that Keras' `Activation` layer takes with the function's defaults. Not sparsemax:
# Keras 3.15 computes a different function under that name (keras-team/keras#23425); not glu: Keras'
# Activation layer declares its output as wide as its input, so the next layer is built wrong.
KERAS_ACTIVATIONS = {"relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "linear", "elu",
                     "selu", "celu", "silu", "swish", "softplus", "softsign", "hard_sigmoid", "hard_silu",
                     "hard_swish", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "log_sigmoid",
                     "sparse_plus", "sparse_sigmoid", "squareplus", "mish", "relu6", "exponential"}


# -- objects inside configs ------------------------------------------------------------------------
def _keras_object(module: str, class_name: str, config: dict) -> dict:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def _initializer(initializer) -> dict:
    """A Keras initializer config for one of ours; the courses' ones as their VarianceScaling equivalents."""
    courses = {initializers.He: (2.0, "fan_in"), initializers.Xavier: (1.0, "fan_avg"),
               initializers.FanIn: (1.0, "fan_in")}
    kind = type(initializer)
    if kind in courses:
        scale, mode = courses[kind]
        return _keras_object("keras.initializers", "VarianceScaling",
                             {"scale": scale, "mode": mode, "distribution": "untruncated_normal", "seed": None})
    if kind is initializers.Normal:
        return _keras_object("keras.initializers", "RandomNormal",
                             {"mean": 0.0, "stddev": initializer.stddev, "seed": None})
    if kind is initializers.Uniform:
        return _keras_object("keras.initializers", "RandomUniform",
                             {"minval": initializer.low, "maxval": initializer.high, "seed": None})
    return _keras_object("keras.initializers", kind.__name__, initializer.get_config())


def _regularizer(regularizer) -> dict | None:
    if regularizer is None:
        return None
    return _keras_object("keras.regularizers", type(regularizer).__name__, regularizer.get_config())


# -- layers ----------------------------------------------------------------------------------------
def _layer(class_name: str, name: str, config: dict, input_shape=None, trainable: bool = True,
           dtype: str = "float32") -> dict:
    entry = _keras_object("keras.layers", class_name, {"name": name, "trainable": trainable, "dtype": dtype,
                                                       **config})
    if input_shape is not None:
        entry["build_config"] = {"input_shape": [None, *input_shape]}
    return entry


def _activation_layers(layer, name: str, dtype: str) -> list[dict]:
    """The Keras layers computing activation layer `layer` (one, or a chain for ScaledTanh)."""
    if isinstance(layer, act.ScaledTanh):  # 1.7159 tanh(2x/3): no Keras activation, but a chain of three
        return [_layer("Rescaling", f"{name}_in", {"scale": SCALED_TANH_B, "offset": 0.0}, dtype=dtype),
                _layer("Activation", name, {"activation": "tanh"}, dtype=dtype),
                _layer("Rescaling", f"{name}_out", {"scale": SCALED_TANH_A, "offset": 0.0}, dtype=dtype)]
    keras_layer = {act.ReLU: "ReLU", act.LeakyReLU: "LeakyReLU", act.ELU: "ELU", act.Softmax: "Softmax"}
    if type(layer) in keras_layer:
        config = {key: value for key, value in layer.get_config().items() if key not in ("name", "trainable")}
        return [_layer(keras_layer[type(layer)], name, config, dtype=dtype)]
    for activation_name in sorted(KERAS_ACTIVATIONS):
        if type(layer) is act.registry.lookup(activation_name) and \
                layer.get_config() == {**act.get(activation_name).get_config(), "name": layer.name}:
            return [_layer("Activation", name, {"activation": activation_name}, dtype=dtype)]
    raise ValueError(f"Cannot write layer {layer.name!r} ({type(layer).__name__}: {layer.get_config()}) to a Keras "
                     f"file: Keras' activations take no such arguments.")


def _keras_layers(layer, dtype: str) -> list[tuple[dict, list]]:
    """``(Keras layer config, weights)`` of each Keras layer that computes `layer`."""
    name, shape = layer.name, layer.input_shape
    if isinstance(layer, act.Activation):
        return [(config, []) for config in _activation_layers(layer.activation, name, dtype)]
    if isinstance(layer, act.ActivationLayer):
        return [(config, []) for config in _activation_layers(layer, name, dtype)]
    weights = layer.get_weights()
    if isinstance(layer, Dense):
        config = {"units": layer.units, "activation": "linear", "use_bias": layer.use_bias,
                  "kernel_initializer": _initializer(layer.kernel_initializer),
                  "bias_initializer": _initializer(layer.bias_initializer),
                  "kernel_regularizer": _regularizer(layer.kernel_regularizer),
                  "bias_regularizer": _regularizer(layer.bias_regularizer), "activity_regularizer": None,
                  "kernel_constraint": None, "bias_constraint": None}
        dense = [(_layer("Dense", name, config, shape, layer.trainable, dtype), weights)]
        if layer.activation is None:
            return dense
        return dense + [(config, []) for config in _activation_layers(layer.activation, layer.activation.name,
                                                                       dtype)]
    if isinstance(layer, BatchNorm):
        config = {"axis": -1, "momentum": layer.momentum, "epsilon": layer.epsilon, "center": True, "scale": True,
                  "beta_initializer": _initializer(layer.initializers["beta"]),
                  "gamma_initializer": _initializer(layer.initializers["gamma"]),
                  "moving_mean_initializer": _initializer(layer.initializers["moving_mean"]),
                  "moving_variance_initializer": _initializer(layer.initializers["moving_var"]),
                  "beta_regularizer": _regularizer(layer.beta_regularizer),
                  "gamma_regularizer": _regularizer(layer.gamma_regularizer)}
        return [(_layer("BatchNormalization", name, config, shape, layer.trainable, dtype), weights)]
    if isinstance(layer, LayerNormalization):
        config = {"axis": layer.axis, "epsilon": layer.epsilon, "center": layer.center, "scale": layer.scale,
                  "beta_initializer": _initializer(layer.beta_initializer),
                  "gamma_initializer": _initializer(layer.gamma_initializer),
                  "beta_regularizer": _regularizer(layer.beta_regularizer),
                  "gamma_regularizer": _regularizer(layer.gamma_regularizer)}
        return [(_layer("LayerNormalization", name, config, shape, layer.trainable, dtype), weights)]
    if isinstance(layer, act.PReLU):
        config = {"alpha_initializer": _initializer(layer.alpha_initializer),
                  "alpha_regularizer": _regularizer(layer.alpha_regularizer), "alpha_constraint": None,
                  "shared_axes": layer.shared_axes}
        return [(_layer("PReLU", name, config, shape, layer.trainable, dtype), weights)]
    plain = {Dropout: "Dropout", GaussianNoise: "GaussianNoise", GaussianDropout: "GaussianDropout",
             AlphaDropout: "AlphaDropout", Rescaling: "Rescaling", Normalization: "Normalization",
             Flatten: "Flatten", Reshape: "Reshape", Identity: "Identity"}
    if type(layer) in plain:
        config = {key: value for key, value in layer.get_config().items() if key not in ("name", "trainable")}
        return [(_layer(plain[type(layer)], name, config, shape if weights else None, layer.trainable, dtype),
                 weights)]
    raise ValueError(f"Cannot write layer {layer.name!r} ({type(layer).__name__}) to a Keras file: Keras has no "
                     f"layer for it.")


def _snake_case(class_name: str) -> str:
    """Keras' file name of a layer class (``BatchNormalization`` -> ``batch_normalization``)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def weight_paths(class_names: list[str]) -> list[str]:
    """Where Keras keeps each layer's variables: ``layers/<class in snake case>[_k]/vars``, numbered
    per class in layer order (Keras names the groups by class, not by the layers' names)."""
    used: dict[str, int] = {}
    paths = []
    for class_name in class_names:
        stem = _snake_case(class_name)
        used[stem] = used.get(stem, -1) + 1
        paths.append(f"layers/{stem}{'_' + str(used[stem]) if used[stem] else ''}/vars")
    return paths


def save_keras(model, path) -> None:
    """Write `model` (a built Sequential model) as a Keras 3 ``.keras`` file, atomically."""
    dtype = str(model.dtype)
    pieces = [piece for layer in model.layers for piece in _keras_layers(layer, dtype)]
    names = [config["config"]["name"] for config, _ in pieces]
    if len(set(names)) != len(names):
        raise ValueError(f"Cannot write a Keras file: layer names must be unique; got {names}.")
    input_layer = _keras_object("keras.layers", "InputLayer", {
        "batch_shape": [None, *model.sample_shape], "dtype": dtype, "sparse": False, "name": "input_layer"})
    config = _keras_object("keras", "Sequential", {"name": model.name, "trainable": True, "dtype": dtype,
                                                    "layers": [input_layer, *(c for c, _ in pieces)]})
    config["build_config"] = {"input_shape": [None, *model.sample_shape]}
    metadata = {"keras_version": KERAS_FORMAT_VERSION, "minikeras_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("vars").attrs["name"] = model.name
        paths = weight_paths([layer_config["class_name"] for layer_config, _ in pieces])
        for (layer_config, arrays), group_path in zip(pieces, paths):
            group = f.create_group(group_path)
            group.attrs["name"] = layer_config["config"]["name"]
            for index, array in enumerate(arrays):
                group.create_dataset(str(index), data=array)
    with atomic_path(path) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.getvalue())


# -- reading ---------------------------------------------------------------------------------------
MEMBERS = ("metadata.json", "config.json", "model.weights.h5")
# Keras class name -> (minikeras class, the config keys it takes). Nothing else is read.
READABLE = {
    "Dense": (Dense, ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                      "kernel_regularizer", "bias_regularizer")),
    "BatchNormalization": (BatchNormalization, ("axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                                                "gamma_initializer", "moving_mean_initializer",
                                                "moving_variance_initializer", "beta_regularizer",
                                                "gamma_regularizer")),
    "LayerNormalization": (LayerNormalization, ("axis", "epsilon", "center", "scale", "beta_initializer",
                                                "gamma_initializer", "beta_regularizer", "gamma_regularizer")),
    "Dropout": (Dropout, ("rate", "noise_shape", "seed")),
    "GaussianNoise": (GaussianNoise, ("stddev", "seed")),
    "GaussianDropout": (GaussianDropout, ("rate", "seed")),
    "AlphaDropout": (AlphaDropout, ("rate", "noise_shape", "seed")),
    "Rescaling": (Rescaling, ("scale", "offset")),
    "Normalization": (Normalization, ("axis", "mean", "variance", "invert")),
    "Flatten": (Flatten, ()),
    "Reshape": (Reshape, ("target_shape",)),
    "Identity": (Identity, ()),
    "ReLU": (act.ReLU, ("max_value", "negative_slope", "threshold")),
    "LeakyReLU": (act.LeakyReLU, ("negative_slope",)),
    "PReLU": (act.PReLU, ("alpha_initializer", "alpha_regularizer", "shared_axes")),
    "ELU": (act.ELU, ("alpha",)),
    "Softmax": (act.Softmax, ("axis",)),
    "Activation": (act.Activation, ("activation",)),
}
# Keras arguments minikeras has no use for, whatever their value (renorm_momentum matters only with renorm).
IGNORED = {"name", "trainable", "dtype", "renorm_momentum", "lora_alpha"}
NEUTRAL_VALUES = (None, False, "channels_last", [], {})


def _keras_layer_arguments(entry: dict) -> tuple[type, dict]:
    """The minikeras class and constructor arguments of one Keras layer config, or ModelFileError-worthy
    ValueError naming the layer and what is not supported."""
    class_name, config = entry.get("class_name"), entry.get("config")
    name = config.get("name") if isinstance(config, dict) else None
    if entry.get("registered_name") not in (None, class_name) or class_name not in READABLE \
            or not str(entry.get("module", "keras.layers")).startswith("keras"):
        raise ValueError(f"layer {name!r} is a {entry.get('module')}.{class_name} (registered as "
                         f"{entry.get('registered_name')!r}); minikeras reads the Keras layers "
                         f"{', '.join(sorted(READABLE))} only, and runs nothing from the file")
    if not isinstance(config, dict):
        raise ValueError(f"layer {class_name}'s config is not a JSON object")
    cls, keys = READABLE[class_name]
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


def model_from_keras_config(config: dict, model_class):
    """A built (untrained) `model_class` from Keras' Sequential config."""
    if not isinstance(config, dict) or config.get("class_name") != "Sequential" \
            or not isinstance(config.get("config"), dict):
        raise ValueError(f"it holds a Keras {config.get('class_name') if isinstance(config, dict) else config!r} "
                         f"model; minikeras reads Sequential models only")
    body = config["config"]
    entries = body.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ValueError("the Sequential config lists no layers")
    shape = None
    if isinstance(entries[0], dict) and entries[0].get("class_name") == "InputLayer":
        batch_shape = entries[0].get("config", {}).get("batch_shape")
        if not isinstance(batch_shape, list) or len(batch_shape) < 2:
            raise ValueError(f"the InputLayer's batch_shape is {batch_shape!r}")
        shape, entries = tuple(batch_shape[1:]), entries[1:]
    elif isinstance(config.get("build_config"), dict):
        shape = tuple(config["build_config"].get("input_shape", [None])[1:]) or None
    layers = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError(f"a layer entry is {type(entry).__name__}, not a JSON object")
        cls, arguments = _keras_layer_arguments(entry)
        layers.append(cls(name=entry["config"].get("name"), trainable=bool(entry["config"].get("trainable", True)),
                          **arguments))
    model = model_class(layers=layers, name=body.get("name"), input_dim=shape, dtype=_dtype(body))
    model.build()
    return model


def _regular_file(path) -> bool:
    """Whether `path` is a regular file (a FIFO or device would block or never end when read)."""
    return os.path.exists(path) and stat.S_ISREG(os.stat(path).st_mode)


def is_keras_file(path) -> bool:
    """Whether `path` is a regular file that starts as a zip archive does (a ``.keras`` file)."""
    path = os.fspath(path)
    if not _regular_file(path):
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


def _keras_model(path, model_class):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if not set(names) <= set(MEMBERS) or not {"config.json", "model.weights.h5"} <= set(names) \
                or len(names) != len(set(names)):
            raise ValueError(f"its members are {names}; a Keras file holds {', '.join(MEMBERS)}")
        config = json.loads(_read_member(archive, "config.json", MAX_JSON_CHARS), parse_constant=_refuse_constant)
        model = model_from_keras_config(config, model_class)
        # The weights file holds the model's arrays (at most 8 bytes a number) and HDF5's bookkeeping.
        limit = 8 * model.count_params() + (1 << 20)
        weights = _read_member(archive, "model.weights.h5", limit)
    layer_classes = [entry["class_name"] for entry in config["config"]["layers"] if entry["class_name"] != "InputLayer"]
    arrays = []
    without_filter_plugins()
    with h5py.File(io.BytesIO(weights), "r") as f:
        for layer, group in zip(model.layers, weight_paths(layer_classes)):
            arrays += [checked_array(f, f"{group}/{index}", array.shape)
                       for index, array in enumerate(layer.get_weights())]
    model.set_weights(arrays)
    return model


def load_keras(path, model_class):
    """A `model_class` built from a Keras 3 ``.keras`` file of a Sequential model of the layers in
    `READABLE`, with its weights (not compiled: Keras' optimizer state is not read). Nothing in the
    file is imported or run; anything else is refused with a `ModelFileError` naming the layer."""
    try:
        return _keras_model(path, model_class)
    except (KeyError, TypeError, ValueError, OSError, RecursionError, RuntimeError, zipfile.BadZipFile,
            zipfile.LargeZipFile) as error:
        raise file_error(path, error, "a Keras file") from None


# -- legacy Keras HDF5 files (model_config + model_weights) ------------------------------------------
# Keras' variable names of each readable layer with weights, in Keras' (and `get_weights`') order.
VARIABLE_NAMES = {"Dense": ("kernel", "bias"),
                  "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
                  "LayerNormalization": ("gamma", "beta"), "PReLU": ("alpha",),
                  "Normalization": ("mean", "variance", "count")}


def is_legacy_keras_h5(path) -> bool:
    """Whether `path` is an HDF5 file as Keras' legacy ``model.save("m.h5")`` writes it (only
    attribute names are looked at: no value is read before `load_legacy_keras` checks the file)."""
    if not _regular_file(os.fspath(path)):  # a FIFO would block; minikeras' loader reports it
        return False
    try:
        with h5py.File(os.fspath(path), "r") as f:
            return "format" not in f.attrs and "model_config" in f.attrs and \
                f.get("model_weights", getlink=True) is not None
    except (OSError, RuntimeError):
        return False


def _layer_arrays(group: h5py.Group, layer, class_name: str) -> list:
    """The arrays of `layer` below its group, found by Keras' variable names (``kernel`` or ``kernel:0``,
    at any depth), in Keras' order; shapes checked before reading."""
    names = VARIABLE_NAMES.get(class_name, ())
    found: dict[str, str] = {}

    def collect(path, item):
        stem = path.rsplit("/", 1)[-1].split(":")[0]
        if isinstance(item, h5py.Dataset) and stem in names:
            if stem in found:
                raise ValueError(f"layer {layer.name!r} holds two arrays called {stem!r}")
            found[stem] = path

    group.visititems(collect)
    wanted = [name for name, _ in zip(names, layer.get_weights())]
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValueError(f"layer {layer.name!r} has no {', '.join(missing)} in model_weights")
    return [checked_array(group, found[name], array.shape) for name, array in zip(wanted, layer.get_weights())]


def _legacy_model(path, model_class):
    problem = string_attribute_problem(path)  # before HDF5 reads the config's value
    if problem is not None:
        raise ValueError(problem)
    with h5py.File(os.fspath(path), "r") as f:
        config = json_attr(f, "model_config")
        model = model_from_keras_config(config, model_class)
        classes = [entry["class_name"] for entry in config["config"]["layers"] if entry["class_name"] != "InputLayer"]
        weights = member(f, "model_weights")
        arrays = []
        for layer, class_name in zip(model.layers, classes):
            if layer.get_weights():
                arrays += _layer_arrays(member(weights, layer.name), layer, class_name)
    model.set_weights(arrays)
    return model


def load_legacy_keras(path, model_class):
    """A `model_class` from a legacy Keras ``.h5`` file (``model_config`` and ``model_weights``) of a
    Sequential model of the layers in `READABLE`, as `load_keras` reads ``.keras`` files."""
    try:
        return _legacy_model(path, model_class)
    except (KeyError, TypeError, ValueError, OSError, RecursionError, RuntimeError) as error:
        raise file_error(path, error, "a legacy Keras file") from None
