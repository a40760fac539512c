"""Keras config objects that the layers' Keras mappings write (``{"module", "class_name", "config"}``).

Each layer declares what it is in a Keras file next to its own code (`Layer.keras_layers`); this
module holds the pieces they share: an initializer's and a regularizer's Keras config.
"""
from __future__ import annotations

from .. import initializers


def keras_object(module: str, class_name: str, config: dict) -> dict:
    """A Keras serialized object: the module, the class, its config."""
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def initializer(value) -> dict:
    """A Keras initializer config for one of ours; the courses' ones as their VarianceScaling equivalents."""
    courses = {initializers.He: (2.0, "fan_in"), initializers.Xavier: (1.0, "fan_avg"),
               initializers.FanIn: (1.0, "fan_in")}
    kind = type(value)
    if kind in courses:
        scale, mode = courses[kind]
        return keras_object("keras.initializers", "VarianceScaling",
                            {"scale": scale, "mode": mode, "distribution": "untruncated_normal", "seed": None})
    if kind is initializers.Normal:
        return keras_object("keras.initializers", "RandomNormal", {"mean": 0.0, "stddev": value.stddev, "seed": None})
    if kind is initializers.Uniform:
        return keras_object("keras.initializers", "RandomUniform",
                            {"minval": value.low, "maxval": value.high, "seed": None})
    return keras_object("keras.initializers", kind.__name__, value.get_config())


def regularizer(value) -> dict | None:
    return None if value is None else keras_object("keras.regularizers", type(value).__name__, value.get_config())
