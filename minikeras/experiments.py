"""Declarative experiments: a TOML file that says what to train, how, and what to search.

    minikeras run experiment.toml [--out DIR]
    minikeras search experiment.toml [--trials 20] [--backend sequential|process|dask] [--out DIR]

Sections and their keys (defaults in `SCHEMA`)::

    name = "cifar-3layer-bn"        seed = 0
    [data]     dataset ("cifar10" | "mnist" | "mnist_small"), path, split ("all" | "one_batch"),
               validation (fraction held out), standardize ("feature" | "global" | "scale" | "none")
    [model]    hidden (list of widths), activation, batch_norm, dropout, l2, kernel_initializer
    [compile]  optimizer, learning_rate, momentum, loss, metrics, and optionally
    [compile.schedule]  name ("cyclic" | "exponential_decay" | "step_decay") with its arguments;
               a cyclic step size may be given in epochs as step_size_epochs
    [fit]      epochs, batch_size, shuffle, cycles (with a cyclic schedule: epochs = cycles * 2 * step)
    [search]   metric, mode, trials, refine_trials, top, and [search.space] with dotted keys
               ("model.l2" = { log_uniform = [1e-5, 1e-1] }, "fit.batch_size" = [50, 100],
               "compile.schedule.eta_max" = { log_uniform = [0.01, 0.5] })
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
import tomllib
from typing import Any

from . import optimizers, schedules
from .datasets import cifar10, mnist, mnist_small
from .files import open_regular
from .model import Model
from .preprocessing import Standardize, flatten_images
from .saving.atomic import write_json
from .search import space as search_space
from .sequential import Sequential

SCHEMA = {
    "name": "experiment",
    "seed": 0,
    "data": {"dataset": "mnist_small", "path": "", "split": "all", "validation": 0.1, "standardize": "feature"},
    "model": {"hidden": [50], "activation": "relu", "batch_norm": False, "dropout": 0.0, "l2": 0.0,
              "kernel_initializer": "he"},
    "compile": {"optimizer": "sgd", "learning_rate": 0.01, "momentum": 0.0, "loss": "categorical_crossentropy",
                "metrics": ["accuracy"], "schedule": {}},
    "fit": {"epochs": 10, "batch_size": 100, "shuffle": True, "cycles": 0},
    "search": {"metric": "val_accuracy", "mode": "max", "trials": 8, "refine_trials": 0, "top": 3, "space": {}},
}
FREE_FORM = {("compile", "schedule"), ("search", "space")}  # tables whose keys are not fixed here
DATASETS = ("cifar10", "mnist", "mnist_small")
N_CLASSES = 10  # every dataset an experiment file can name has ten classes
MAX_EXPERIMENT_BYTES = 1 << 20  # an experiment file is a page of TOML
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # a run's folder under runs/: never a path
STANDARDIZE = ("feature", "global", "scale", "none")
# Allowed ranges of the numbers: (low, high, high included, integer). Bounds keep a typo or a
# hostile file from asking for a trillion-unit layer or a batch of zero.
RANGES = {
    "seed": (0, 2**63 - 1, True, True),
    "data.validation": (0.0, 1.0, False, False),
    "model.dropout": (0.0, 1.0, False, False),
    "model.l2": (0.0, 1e6, True, False),
    "compile.learning_rate": (0.0, 1e6, True, False),
    "compile.momentum": (0.0, 1.0, False, False),
    "fit.epochs": (0, 100_000, True, True),
    "fit.batch_size": (1, 1_000_000, True, True),
    "fit.cycles": (0, 10_000, True, True),
    "search.trials": (1, 100_000, True, True),
    "search.refine_trials": (0, 100_000, True, True),
    "search.top": (1, 10_000, True, True),
}
MAX_LAYERS, MAX_UNITS = 64, 65_536


class ExperimentError(ValueError):
    """A malformed experiment file: the message names the file and the line or key."""


# -- reading and checking ------------------------------------------------------------------------
def load_experiment(path) -> dict:
    """The experiment of a TOML file, checked against `SCHEMA` and completed with its defaults."""
    try:
        with open_regular(path, MAX_EXPERIMENT_BYTES, "an experiment file", ExperimentError) as f:
            raw = tomllib.load(f)
        return check_experiment(raw, str(path))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ExperimentError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ExperimentError(f"{path}: tables or arrays nested too deeply for an experiment file.") from None


def check_experiment(raw: dict, source: str = "experiment") -> dict:
    config = _merged(SCHEMA, raw, (), source)
    if not NAME_PATTERN.fullmatch(config["name"]) or config["name"] in (".", ".."):
        raise ExperimentError(f"{source}: name must be a plain folder name (letters, digits, '.', '_', '-'; no path "
                              f"separators, no '..'), since runs go to runs/<name>; got {config['name']!r}. Use "
                              f"--out to choose another folder.")
    _check_ranges(config, source)
    data = config["data"]
    if data["dataset"] not in DATASETS:
        raise ExperimentError(f"{source}: data.dataset must be one of {', '.join(DATASETS)}; got {data['dataset']!r}.")
    if data["split"] not in ("all", "one_batch") or (data["split"] == "one_batch" and data["dataset"] != "cifar10"):
        raise ExperimentError(f"{source}: data.split must be 'all', or 'one_batch' for cifar10; got {data['split']!r}.")
    if data["standardize"] not in STANDARDIZE:
        raise ExperimentError(f"{source}: data.standardize must be one of {', '.join(STANDARDIZE)}; "
                              f"got {data['standardize']!r}.")
    for key, spec in config["search"]["space"].items():
        _check_search_dimension(config, key, spec, source)
    return config


def _check_search_dimension(config: dict, key: str, spec, source: str) -> None:
    """Every value a search dimension can give `key` passes the checks the plain setting gets: a
    choice's options, and a range's two ends."""
    default = _lookup(config, key, source)
    try:
        dim = search_space.dimension(spec)
    except (ValueError, TypeError) as error:
        raise ExperimentError(f"{source}: search.space {key}: {error}") from None
    if isinstance(dim, search_space.Choice):
        extremes = dim.options
    elif isinstance(dim, search_space.IntUniform):
        extremes = [int(dim.low), int(dim.high)]
    elif isinstance(dim, search_space.Uniform):  # LogUniform too
        extremes = [dim.low, dim.high]
    else:  # a Dimension of the caller's own kind: its values cannot be listed here
        raise ExperimentError(f"{source}: search.space {key}: an experiment file takes the dimensions "
                              f"log_uniform, uniform, int_uniform, choice and lists; got {spec!r}.")
    for value in extremes:
        if not _same_kind(default, value):
            raise ExperimentError(f"{source}: search.space {key} can give {value!r}; {key} must be "
                                  f"{type(default).__name__}.")
        _check_ranges(with_params(config, {key: value}), f"{source}: search.space {key} = {value!r}")


def _check_ranges(config: dict, source: str) -> None:
    for key, (low, high, closed, integer) in RANGES.items():
        value: Any = config
        for part in key.split("."):
            value = value[part]
        kind = "an integer" if integer else "a number"
        ok = (isinstance(value, int) if integer else isinstance(value, (int, float)) and math.isfinite(value))
        if isinstance(value, bool) or not ok or not (low <= value and (value <= high if closed else value < high)):
            raise ExperimentError(f"{source}: {key} must be {kind} in [{low}, {high}{']' if closed else ')'}; "
                                  f"got {value!r}.")
    hidden = config["model"]["hidden"]
    if len(hidden) > MAX_LAYERS or not all(type(units) is int and 1 <= units <= MAX_UNITS for units in hidden):
        raise ExperimentError(f"{source}: model.hidden must list at most {MAX_LAYERS} layer widths, integers in "
                              f"[1, {MAX_UNITS}]; got {hidden!r}.")


def _merged(defaults: dict, given: dict, where: tuple, source: str) -> dict:
    if not isinstance(given, dict):
        raise ExperimentError(f"{source}: {'.'.join(where)} must be a table; got {given!r}.")
    unknown = sorted(set(given) - set(defaults))
    if unknown and where not in FREE_FORM:
        key = ".".join((*where, unknown[0]))
        raise ExperimentError(f"{source}: unknown key {key!r}. Expected one of: "
                              f"{', '.join('.'.join((*where, k)) for k in defaults)}.")
    if where in FREE_FORM:
        return copy.deepcopy(given)
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        default = defaults[key]
        if isinstance(default, dict):
            merged[key] = _merged(default, value, (*where, key), source)
        elif not _same_kind(default, value):
            raise ExperimentError(f"{source}: {'.'.join((*where, key))} must be {type(default).__name__}; "
                                  f"got {value!r}.")
        else:
            merged[key] = value
    return merged


def _same_kind(default, value) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _lookup(config: dict, dotted: str, source: str):
    """The setting at a dotted path such as "model.l2" or "compile.schedule.eta_max"."""
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node or part in ("search", "name"):
            raise ExperimentError(f"{source}: search.space key {dotted!r} names no setting; use a dotted key "
                                  f"such as 'model.l2', 'compile.learning_rate' or 'compile.schedule.eta_max'.")
        node = node[part]
    return node


def with_params(config: dict, params: dict) -> dict:
    """A copy of `config` with the dotted keys of `params` set (a ``"seed"`` key sets the seed)."""
    config = copy.deepcopy(config)
    for dotted, value in params.items():
        *path, key = dotted.split(".")
        node = config
        for part in path:
            node = node[part]
        node[key] = int(value) if dotted == "seed" else value
    return config


# -- data ------------------------------------------------------------------------------------------
_DATA_CACHE: dict[str, dict] = {}  # per process: trials of one search load the data once


def load_splits(data: dict) -> dict:
    """``{"train": (x, y), "val": (x, y), "test": (x, y)}`` as float32 rows, per the data section."""
    key = json.dumps(data, sort_keys=True)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = _build_splits(data)
    return _DATA_CACHE[key]


def _build_splits(data: dict) -> dict:
    path = data["path"] or None
    if data["dataset"] == "cifar10" and data["split"] == "one_batch":
        parts = {"train": cifar10.load_batch("data_batch_1", path), "val": cifar10.load_batch("data_batch_2", path),
                 "test": cifar10.load_batch("test_batch", path)}
    else:
        loader = {"cifar10": cifar10.load_data, "mnist": mnist.load_data,
                  "mnist_small": lambda _: mnist_small.load_data()}[data["dataset"]]
        (x, y), test = loader(path)
        n_val = int(round(len(x) * data["validation"]))
        if not 0 < n_val < len(x):
            raise ExperimentError(f"data.validation={data['validation']} leaves no training or validation samples.")
        parts = {"train": (x[:-n_val], y[:-n_val]), "val": (x[-n_val:], y[-n_val:]), "test": test}
    return standardized(parts, data["standardize"])


def standardized(parts: dict, how: str) -> dict:
    """Flatten images to float32 rows; standardize with the training split's statistics."""
    flat = {name: (flatten_images(x, scale=1 / 255 if how == "scale" else None), y)
            for name, (x, y) in parts.items()}
    if how in ("scale", "none"):
        return flat
    scaler = Standardize(per=how).fit(flat["train"][0])
    return {name: (scaler.transform(x), y) for name, (x, y) in flat.items()}


# -- model and training ----------------------------------------------------------------------------
def build_model(config: dict, input_dim: int, n_classes: int) -> Model:
    spec = config["model"]
    model = Sequential(input_dim=input_dim, seed=config["seed"])
    for units in spec["hidden"]:
        model.add_layer(units, spec["activation"], batch_norm=spec["batch_norm"], dropout=spec["dropout"],
                        l2=spec["l2"], kernel_initializer=spec["kernel_initializer"])
    model.add_layer(n_classes, "softmax", l2=spec["l2"], kernel_initializer=spec["kernel_initializer"])
    return model


def _optimizer(spec: dict, steps_per_epoch: int):
    rate = spec["learning_rate"]
    schedule = dict(spec["schedule"])
    if schedule:
        name = schedule.pop("name", None)
        if "step_size_epochs" in schedule:
            schedule["step_size"] = int(round(schedule.pop("step_size_epochs") * steps_per_epoch))
        try:
            rate = schedules.registry.get(name, **schedule) if name else None
        except (TypeError, ValueError) as error:
            raise ExperimentError(f"compile.schedule: {error}") from None
        if rate is None:
            raise ExperimentError("compile.schedule needs a name: cyclic, exponential_decay or step_decay.")
    kwargs = {"learning_rate": rate}
    if spec["momentum"]:
        kwargs["momentum"] = spec["momentum"]
    try:
        return optimizers.registry.get(spec["optimizer"], **kwargs)
    except (TypeError, ValueError) as error:
        raise ExperimentError(f"compile: {error}") from None


def train(config: dict, verbose: int = 0):
    """Build, compile and fit the experiment; returns ``(model, history, splits)``."""
    splits = load_splits(config["data"])
    x, y = splits["train"]
    fit = config["fit"]
    steps_per_epoch = -(-len(x) // fit["batch_size"])
    model = build_model(config, x.shape[1], N_CLASSES)
    optimizer = _optimizer(config["compile"], steps_per_epoch)
    model.compile(optimizer=optimizer, loss=config["compile"]["loss"], metrics=config["compile"]["metrics"])
    epochs = fit["epochs"]
    if fit["cycles"] and isinstance(optimizer.learning_rate, schedules.CyclicLR):
        epochs = max(1, fit["cycles"] * 2 * optimizer.learning_rate.step_size // steps_per_epoch)
    history = model.fit(x, y, epochs=epochs, batch_size=fit["batch_size"], shuffle=fit["shuffle"],
                        validation_data=splits["val"], verbose=verbose)
    return model, history, splits


def scores(model: Model, splits: dict) -> dict:
    """``{"train_accuracy", "train_loss", "val_...", "test_..."}`` in inference mode."""
    result = {}
    for split, (x, y) in splits.items():
        for key, value in model.evaluate(x, y, verbose=0, return_dict=True).items():
            result[f"{split}_{key}"] = value
    return result


def objective(config: dict, params: dict) -> dict:
    """One search trial: the experiment with `params` applied; returns its scores."""
    model, _, splits = train(with_params(config, params))
    return scores(model, splits)


def run_experiment(config: dict, out_dir: str, verbose: int = 2) -> dict:
    """Train, evaluate, and write model.h5, results.json, curves.png and confusion.png to `out_dir`."""
    os.makedirs(out_dir, exist_ok=True)
    model, history, splits = train(config, verbose=verbose)
    result = {"name": config["name"], "config": config, **scores(model, splits), "history": history.history}
    model.save(os.path.join(out_dir, "model.h5"))
    write_json(os.path.join(out_dir, "results.json"), result)
    plot_run(model, history, splits["test"], out_dir, title=config["name"])
    return result


def plot_run(model: Model, history, test: tuple, out_dir: str, prefix: str = "", title: str = "",
             class_names=None, confusion_title: str | None = None) -> None:
    """Write ``<prefix>curves.png`` (learning curves) and ``<prefix>confusion.png`` (test set)."""
    from . import plot

    plot.learning_curves(history, os.path.join(out_dir, f"{prefix}curves.png"), title=title)
    x_test, y_test = test
    plot.confusion_matrix(y_test, model.predict(x_test, verbose=0).argmax(axis=1), class_names,
                          os.path.join(out_dir, f"{prefix}confusion.png"), title=confusion_title)
    plot.plt.close("all")
