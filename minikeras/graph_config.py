"""Functional-model configs (minikeras' and Keras'): what each layer call reads, in either form.

A config lists the layers, each with its calls (``inbound_nodes``); a call names the tensors it
reads as ``[layer name, call number, 0]``: minikeras writes ``{"reads": [...], "merged": bool}``,
Keras 3 its call arguments (``{"args": [...]}``, tensors as ``__keras_tensor__`` entries with a
``keras_history``) and legacy Keras a list of ``[name, call, 0, kwargs]``.
"""
from __future__ import annotations

from .graph import keras_order


def tensor_key(item) -> tuple[str, int]:
    """``(layer name, call number)`` of a tensor reference ``[name, call, 0, ...]``."""
    if not isinstance(item, (list, tuple)) or len(item) < 2 or not isinstance(item[0], str) \
            or not isinstance(item[1], int):
        raise ValueError(f"A tensor reference of a functional config is [layer name, call number, 0]; "
                         f"got {item!r:.80}.")
    return (item[0], item[1])


def end_references(value) -> tuple[list[str] | None, list]:
    """``(keys or None, references)`` of a config's ``input_layers`` or ``output_layers``: a list of
    ``[name, call, 0]``, one such reference alone (Keras' form for one tensor), or a dict of them."""
    if isinstance(value, dict):
        return [str(key) for key in value], list(value.values())
    if isinstance(value, list) and value and isinstance(value[0], str):
        return None, [value]
    if not isinstance(value, list):
        raise ValueError(f"A functional config's input_layers and output_layers are lists of [layer name, call "
                         f"number, 0]; got {value!r:.80}.")
    return None, value


def call_reads(call) -> list[tuple[str, int]]:
    """The tensors a call in a config reads: ours (``{"reads": [...]}``) or Keras' (its ``args``)."""
    if isinstance(call, dict) and "reads" in call:
        return [tensor_key(item) for item in call["reads"]]
    if isinstance(call, dict) and "args" in call:
        return [tensor_key(item["config"]["keras_history"]) for item in _keras_tensors(call["args"])]
    return [tensor_key(item) for item in call] if isinstance(call, list) else [tensor_key(call)]


def call_merged(call, n_reads: int) -> bool:
    """Whether a call in a config passes its tensors as a list (as merge layers take them)."""
    if isinstance(call, dict) and "merged" in call:
        return bool(call["merged"])
    if isinstance(call, dict) and isinstance(call.get("args"), (list, tuple)) and call["args"]:
        return isinstance(call["args"][0], (list, tuple))
    return n_reads > 1


def _keras_tensors(value) -> list:
    """The ``__keras_tensor__`` entries of a Keras call's arguments, in order."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return [value]
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in _keras_tensors(item)]
    return []


def input_shape_of(config: dict) -> tuple:
    """The per-sample shape of an InputLayer's config (``shape``, or Keras' ``batch_shape`` or
    legacy ``batch_input_shape`` without the batch axis)."""
    shape = config.get("shape") or (config.get("batch_shape") or config.get("batch_input_shape") or [None])[1:]
    if not isinstance(shape, (list, tuple)) or not shape:
        raise ValueError(f"An InputLayer config needs its shape; got {str(config):.120}.")
    return tuple(shape)


def keras_config_order(config: dict) -> list[str]:
    """The layer names of a functional config in the order Keras lists the model's layers (and
    numbers the groups of its weights file): `keras_order` over the config's calls."""
    entries = {entry["name"]: entry for entry in config["layers"]}

    def parents(key: tuple[str, int]) -> list[tuple[str, int]]:
        calls = entries[key[0]].get("inbound_nodes") if key[0] in entries else None
        if calls == [] and key[1] == 0:  # an input layer
            return []
        if not isinstance(calls, list) or not 0 <= key[1] < len(calls):
            raise ValueError(f"the functional config reads a tensor no layer makes: {list(key)}")
        return call_reads(calls[key[1]])

    outputs = [tensor_key(item) for item in end_references(config["output_layers"])[1]]
    _, names = keras_order(outputs, parents, lambda key: key[0])
    return names
