"""A layer's `activation=` argument (Dense, the convolutions): the activation runs as the layer's
second execution step, so that a final softmax fuses with the cross-entropy loss, and is written
inline in the Keras config when Keras has the function."""
from __future__ import annotations

from . import activations


class ActivationStep:
    """Mixed into a layer with an ``activation`` attribute (an activation layer or None)."""

    activation = None
    name: str | None

    def init_activation(self, activation) -> None:
        self.activation = None if activation in (None, "linear") else activations.get(activation)

    def build_activation(self, output_shape: tuple[int, ...], rng, dtype) -> None:
        """Name and build the activation for the layer's per-sample `output_shape`."""
        if self.activation is not None:
            self.activation.name = f"{self.name}_{type(self.activation).__name__.lower()}"
            self.activation.build(output_shape, rng, dtype)

    def steps(self):
        return [self] if self.activation is None else [self, self.activation]

    def activation_config(self):
        return None if self.activation is None else activations.name_of(self.activation)

    def keras_activation(self) -> str | None:
        """Keras' activation function name computing the activation (written inline), or None."""
        name = self.activation_config()
        return name if isinstance(name, str) and name in activations.KERAS_FUNCTIONS else None

    def with_keras_activation(self, layers: list) -> list:
        """`layers` (the Keras form of the layer itself), then its activation's own layer unless
        written inline."""
        return layers if self.activation is None or self.keras_activation() else layers + self.activation.keras_layers()
