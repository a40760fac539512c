"""Keras' ``keras.utils`` helpers: one-hot labels, the global seed, row normalization, a model's
drawing, and `PyDataset` (data in batches, `minikeras.data_streams`)."""
from __future__ import annotations

import numpy as np

from .data_streams import PyDataset
from .preprocessing import to_categorical
from .seeding import set_seed as set_random_seed

__all__ = ["to_categorical", "set_random_seed", "normalize", "plot_model", "PyDataset"]


def plot_model(model, to_file: str = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = False, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False, splines: str = "ortho", **kwargs):
    """Keras' ``keras.utils.plot_model`` (its signature and defaults): draw the model's layers and
    their connections to `to_file` (with matplotlib, so neither pydot nor Graphviz is needed);
    returns the Figure. A box shows the layer's class, and its name with ``show_layer_names=True``;
    `expand_nested`, `splines` and Graphviz' other options are accepted and change nothing (a
    nested model is one box, arrows are straight)."""
    from .plot import model_graph

    return model_graph(model, to_file, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable, dpi=dpi)


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """`x` divided by its `order`-norm along `axis` (rows of zeros stay zeros), as Keras.

    Examples
    --------
    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm != 0)
