"""Layers written Keras' way (a ``call`` of ops) in Keras 3 ``.keras`` files.

The config entry is what Keras writes for a custom layer: the class by its registered name
(``"package>Name"``, the same name the Keras side registers its class under) and the layer's
``get_config()`` as it is. Keras nests such a layer's weights: its own variables at
``<group>/vars/<i>``, each sublayer's under ``<group>/<attribute>/`` (a sublayer in a list or
dict: ``<group>/<attribute>/<class in snake case>[_k]/``), recursively; `variable_paths` lists them in that
layout, for writing and for reading. Reading looks the class up in the layer registry only
(registered, or given as ``custom_objects``): nothing a file names is imported or run.
"""
from __future__ import annotations

from typing import Any

from ..checks import snake_case
from ..layers import calls
from ..layers.base import Layer
from ..layers.base import registry as layer_registry
from ..registry import registered_name


def is_custom_entry(entry: dict) -> bool:
    """Whether a Keras layer entry is a custom layer: registered under a package, or from a module
    outside Keras (legacy files name no module: their layers are Keras')."""
    module = entry.get("module", "keras")
    return ">" in str(entry.get("registered_name") or "") or not str(module or "").startswith("keras")


def entry(layer, batch_shape) -> dict:
    """Keras' config entry of a layer written with ``call``."""
    return {"module": None, "class_name": type(layer).__name__, "config": layer.get_config(),
            "registered_name": registered_name(layer), "name": layer.name,
            "build_config": {"input_shape": batch_shape}}


def layer_from(entry: dict) -> Any:
    """The registered (or given) layer class of a custom entry, made from its config."""
    config = entry.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"layer {entry.get('name')!r}'s config is not a JSON object")
    cls: Any = layer_registry.lookup(str(entry.get("registered_name") or entry.get("class_name")))
    if not cls.written_with_call:
        raise ValueError(f"layer {entry.get('name')!r} names {cls.__name__}, which is not a layer written with call")
    policy = config.get("dtype")
    if isinstance(policy, dict):  # Keras' DTypePolicy: its name is the dtype
        config = {**config, "dtype": policy.get("config", {}).get("name")}
    layer = cls.from_config(config)
    if layer.name is None:
        layer.name = entry.get("name")
    return layer


def variable_paths(layer, group: str) -> list[tuple[Any, str]]:
    """``(variable, path)`` of every weight of `layer` (or of a subclassed model) in Keras' nested
    layout below `group`."""
    own = layer.own_weights() if isinstance(layer, Layer) else [v for _, v in calls.attribute_variables(layer)]
    paths = [(variable, f"{group}/vars/{index}") for index, variable in enumerate(own)]
    if isinstance(layer, Layer) and not layer.written_with_call:
        return paths
    used: dict[str, dict[str, int]] = {}  # per list or dict attribute: Keras' names of its items
    for path, sublayer in calls.sublayers(layer):
        if not isinstance(sublayer, Layer):
            raise ValueError(f"Cannot write layer {layer.name!r} to a Keras file: it holds a model "
                             f"({sublayer.name!r}); save it with minikeras' own format instead")
        attribute, *inside = path.split("/")
        where = f"{group}/{attribute}"
        if inside:
            where += "/" + _container_name(snake_case(type(sublayer).__name__), used.setdefault(attribute, {}))
        paths += variable_paths(sublayer, where)
    return paths


def _container_name(stem: str, used: dict[str, int]) -> str:
    """Keras' name of a layer in a list or dict: its class in snake case, numbered in order
    (``dense``, ``dense_1``, ...), never its own (session-dependent) name."""
    used[stem] = used.get(stem, -1) + 1
    return stem if used[stem] == 0 else f"{stem}_{used[stem]}"


def model_entry(model) -> dict:
    """Keras' config of a subclassed model: the registered class, its config, its input shape."""
    shape = model.built_input_shape()
    batch_shape = [[None, *one] for one in shape] if isinstance(shape, list) else [None, *shape]
    return {"module": None, "class_name": type(model).__name__, "config": model.get_config(),
            "registered_name": registered_name(model), "build_config": {"input_shape": batch_shape}}


def model_from(config: dict, model_registry) -> Any:
    """A subclassed model of a Keras config (its class registered, or given as custom_objects),
    built for the config's input shape; its weights are read next."""
    arguments = config.get("config")
    if not isinstance(arguments, dict):
        raise ValueError("the model's config is not a JSON object")
    policy = arguments.get("dtype")
    if isinstance(policy, dict):
        arguments = {**arguments, "dtype": policy.get("config", {}).get("name")}
    cls: Any = model_registry.lookup(str(config.get("registered_name") or config.get("class_name")))
    model = cls.from_config(arguments)
    shape: Any = (config.get("build_config") or {}).get("input_shape")
    several = isinstance(shape, list) and bool(shape) and isinstance(shape[0], list)
    shapes: list[Any] = shape if several else [shape]
    for one in shapes:
        if not isinstance(one, list) or len(one) < 2 or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 < d < 2**31 for d in one[1:]):
            raise ValueError(f"the model's build_config input_shape is {shape!r}; expected [batch, size, ...]")
    per_sample = [tuple(one[1:]) for one in shapes]
    model.build(per_sample if several else per_sample[0])
    return model
