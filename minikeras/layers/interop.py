"""What a layer is outside minikeras: the Keras layer it is written as in Keras files and its
ONNX nodes. `Layer` has these; each built-in layer declares its own next to its math."""
from __future__ import annotations

import numpy as np


class Interop:
    """Mixed into `Layer`: the Keras and ONNX forms of a layer (by default: none)."""

    name: str | None

    def get_config(self) -> dict:
        raise NotImplementedError

    def get_weights(self) -> list[np.ndarray]:
        raise NotImplementedError

    def weight_names(self) -> list[str]:
        raise NotImplementedError

    keras_class: str | None = None
    """The Keras layer class this layer is written as and read from (None: Keras has none)."""
    keras_arguments: tuple[str, ...] = ()
    """The Keras config keys its constructor takes when read from a Keras file."""

    def keras_layers(self, name: str | None = None) -> list[tuple[str, str, dict, list[np.ndarray]]]:
        """``(Keras class, layer name, Keras config, weights)`` of each Keras layer that computes this
        one (named `name`, by default the layer's own). By default one `keras_class` layer whose
        config is `get_config` without the name and trainable flag."""
        if self.keras_class is None:
            raise ValueError(f"Cannot write layer {self.name!r} ({type(self).__name__}) to a Keras file: Keras has "
                             f"no layer for it.")
        config = {key: value for key, value in self.get_config().items() if key not in ("name", "trainable")}
        return [(self.keras_class, str(name or self.name), config, self.get_weights())]

    def keras_variable_names(self) -> list[str]:
        """Keras' names of the arrays `get_weights` returns (legacy Keras files find them by name)."""
        return self.weight_names()

    def to_onnx(self, graph, x: str) -> str:
        """Append the ONNX nodes of the inference forward pass to `graph` (``graph.op``,
        ``graph.constant``), reading the tensor named `x`; returns the output's name."""
        raise ValueError(f"Cannot export layer {self.name!r} ({type(self).__name__}) to ONNX: no converter for it.")
