"""Keras' ``compile_config`` in ``.keras`` files: the optimizer, losses and metrics by Keras' names.

Written when every piece has a Keras counterpart (optimizers, schedules, losses and metrics are
named as Keras names them), so that `keras.saving.load_model` returns a compiled model; read
back the same way, through minikeras' registries only: a piece minikeras does not have, or an
argument it does not take, leaves the model uncompiled with a warning naming it (as Keras does
when a compile config cannot be applied).
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any

from .. import losses, metrics, optimizers
from ..layers.keras_objects import keras_object
from ..optimizers import schedules

KERAS_MODULES = {"optimizer": "keras.optimizers", "schedule": "keras.optimizers.schedules", "loss": "keras.losses",
                 "metric": "keras.metrics"}
NOT_IN_KERAS = {"Momentum", "CyclicLR", "StepDecay", "OneCycle"}


def _keras_object(kind: str, obj) -> dict:
    name = type(obj).__name__
    if name in NOT_IN_KERAS:
        raise ValueError(f"{kind} {name} has no Keras counterpart")
    config = dict(obj.get_config())
    if kind == "optimizer" and isinstance(config.get("learning_rate"), dict):
        rate = config["learning_rate"]
        if rate.get("class_name") in NOT_IN_KERAS:
            raise ValueError(f"schedule {rate.get('class_name')} has no Keras counterpart")
        config["learning_rate"] = keras_object(KERAS_MODULES["schedule"], rate["class_name"], rate["config"])
    return keras_object(KERAS_MODULES[kind], name, config)


def _each(value, function):
    """`function` of a value, or of each item of (nested) lists."""
    return [_each(item, function) for item in value] if isinstance(value, list) else function(value)


def _metric(metric) -> Any:
    """A metric by its name when it has only the defaults (Keras resolves ``"accuracy"`` for the
    labels, as minikeras does), else the object."""
    return metric.name if set(metric.get_config()) <= {"name"} else _keras_object("metric", metric)


def compile_config(model) -> dict | None:
    """Keras' compile config of a compiled `model`, or None (not compiled, or something Keras lacks)."""
    if not model.compiled:
        return None
    try:
        return {"optimizer": _keras_object("optimizer", model.optimizer),
                "loss": _each(model.loss, lambda loss: _keras_object("loss", loss)),
                "loss_weights": model.loss_weights,
                "metrics": _each(model.compiled_metrics, _metric),
                "weighted_metrics": _each(model.compiled_weighted_metrics, _metric) or None,
                "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
    except ValueError:
        return None


def _ours(value, registry, kind: str):
    """A loss, metric or optimizer from Keras' form: a name, or a Keras object read through `registry`."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict) or not str(value.get("module", "keras")).startswith("keras") \
            or value.get("registered_name") not in (None, value.get("class_name")):
        raise ValueError(f"the {kind} {str(value)[:80]!r} is not a Keras {kind}")
    cls = registry.lookup(value.get("class_name"))
    config = dict(value.get("config") or {})
    if kind == "optimizer" and isinstance(config.get("learning_rate"), dict):
        config["learning_rate"] = _ours(config["learning_rate"], schedules.registry, "schedule")
    accepted = inspect.signature(cls.__init__).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    unknown = {key: item for key, item in config.items() if key not in accepted and item is not None}
    if unknown and not takes_any:
        raise ValueError(f"the {kind} {cls.__name__} takes no {sorted(unknown)} here")
    return cls(**{key: item for key, item in config.items() if key in accepted or takes_any})


def _structure(value, registry, kind: str):
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _structure(item, registry, kind) for key, item in value.items()}
    if isinstance(value, list):
        return [_structure(item, registry, kind) for item in value]
    return _ours(value, registry, kind)


def compile_from_config(model, config, path) -> None:
    """Compile `model` as Keras' `config` says; when minikeras cannot, leave it uncompiled and warn why."""
    try:
        if not isinstance(config, dict):
            raise ValueError("the compile config is not a JSON object")
        model.compile(optimizer=_ours(config.get("optimizer"), optimizers.registry, "optimizer") or "rmsprop",
                      loss=_structure(config.get("loss"), losses.registry, "loss"),
                      loss_weights=config.get("loss_weights"),
                      metrics=_structure(config.get("metrics"), metrics.registry, "metric"),
                      weighted_metrics=_structure(config.get("weighted_metrics"), metrics.registry, "metric"))
    except (ValueError, TypeError, KeyError) as error:
        warnings.warn(f"{path}: the model is loaded uncompiled: its compile config cannot be applied here ({error}).",
                      stacklevel=3)
