"""What the layers that slide windows over channels-last inputs share (convolutions, poolings):
their spatial arguments, the 2-D geometry a 1-D input is computed in (an image of height 1), and
their ONNX form (ONNX's Conv and pools are channels-first: transposed in and out)."""
from __future__ import annotations

import numpy as np

from ..backend.convolution import geometry as backend_geometry
from ..backend.convolution import pair


class Windowed:
    """Mixed into a layer with `rank` spatial axes (1: ``(N, L, C)``, 2: ``(N, H, W, C)``) and a
    `padding` (``"valid"``, ``"same"``, or for a 1-D convolution ``"causal"``)."""

    rank = 2
    padding = "valid"

    def spatial(self, value, what: str) -> tuple[int, ...]:
        """`value` (an int, or one per spatial axis) as one int per spatial axis."""
        if self.rank == 2:
            return pair(value, f"{type(self).__name__} {what}")
        return pair(value if isinstance(value, (int, np.integer)) else tuple(value) * 2,
                    f"{type(self).__name__} {what}")[:1]

    def check_data_format(self, data_format) -> None:
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__} computes on channels-last inputs (data_format='channels_last'); "
                             f"got data_format={data_format!r}.")

    def hw(self, values: tuple[int, ...]) -> tuple[int, int]:
        """Per-axis values in the 2-D geometry."""
        return (1, values[0]) if self.rank == 1 else (values[0], values[1])

    def image_shape(self, input_shape) -> tuple[int, ...]:
        """The per-sample input as ``(H, W, C)``."""
        if len(input_shape) != self.rank + 1:
            axes = "(length, channels)" if self.rank == 1 else "(height, width, channels)"
            raise ValueError(f"{type(self).__name__} takes inputs of per-sample shape {axes}; got "
                             f"{tuple(input_shape)}.")
        return (1, *input_shape) if self.rank == 1 else tuple(input_shape)

    def geometry(self, input_shape, window: tuple[int, ...], strides: tuple[int, ...], dilation=(1,)):
        """``(pads, (Ho, Wo))``: the padding of each axis and the output positions."""
        height, width, _ = self.image_shape(input_shape)
        return backend_geometry((height, width), self.hw(window), self.hw(strides), self.hw(dilation * len(window)),
                                self.padding)

    def channels_first_onnx(self, g, x: str, op: str, pads, inputs=(), **attributes) -> str:
        """ONNX node `op` on `x` transposed to channels-first (and back), 1-D inputs as images of
        height 1; `pads` as `geometry` gives them."""
        axis = g.constant([1], np.int64)
        if self.rank == 1:
            x = g.op("Unsqueeze", x, axis)
        y = g.op(op, g.op("Transpose", x, perm=[0, 3, 1, 2]), *inputs,
                 pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]], **attributes)
        y = g.op("Transpose", y, perm=[0, 2, 3, 1])
        return g.op("Squeeze", y, axis) if self.rank == 1 else y
