"""Figures of training runs (matplotlib). Each function returns the Figure and, given `path`,
saves it as a PNG. Headless machines get the Agg backend automatically."""
from __future__ import annotations

import os

import matplotlib

if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice)
import numpy as np  # noqa: E402

from .metrics import confusion_matrix as count_confusion  # noqa: E402
from .saving.atomic import atomic_path  # noqa: E402

__all__ = ["learning_curves", "confusion_matrix", "count_confusion", "first_layer_weights", "learning_rate",
           "class_distribution", "search_results", "lr_range", "model_graph"]


def _finish(figure, path):
    figure.tight_layout()
    if path is not None:  # atomically: a failed or interrupted run keeps the figure of the run before
        with atomic_path(path) as temporary:
            figure.savefig(temporary, dpi=110, format=os.path.splitext(os.fspath(path))[1][1:] or "png")
    return figure


def learning_curves(history, path=None, title: str | None = None):
    """Loss and accuracy, training vs validation, from a `History`, a `MetricsRecorder` (several
    points per epoch) or their ``history`` dict."""
    logs = getattr(history, "history", history)
    metrics = [key for key in logs if not key.startswith("val_") and key not in ("lr", "epoch")]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6), squeeze=False)
    for axis, key in zip(axes[0], metrics):
        epochs = logs.get("epoch") or np.arange(1, len(logs[key]) + 1)
        axis.plot(epochs, logs[key], label=f"training {key}")
        if f"val_{key}" in logs:
            axis.plot(epochs, logs[f"val_{key}"], label=f"validation {key}")
        axis.set_xlabel("epoch")
        axis.set_ylabel(key)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    return _finish(figure, path)


def confusion_matrix(y_true, y_pred, class_names=None, path=None, title: str | None = None):
    """Counts of true (rows) vs predicted (columns) classes, annotated."""
    n = len(class_names) if class_names is not None else None
    counts = count_confusion(y_true, y_pred, n)
    names = class_names if class_names is not None else [str(i) for i in range(counts.shape[0])]
    figure, axis = plt.subplots(figsize=(1.0 + 0.6 * len(names), 0.8 + 0.6 * len(names)))
    image = axis.imshow(counts, cmap="Blues")
    axis.set_xticks(range(len(names)), names, rotation=45, ha="right")
    axis.set_yticks(range(len(names)), names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    limit = counts.max() / 2 if counts.size else 0
    for (i, j), count in np.ndenumerate(counts):
        axis.text(j, i, str(count), ha="center", va="center", fontsize=7,
                  color="white" if count > limit else "black")
    figure.colorbar(image, ax=axis, fraction=0.046)
    axis.set_title(title or f"accuracy {np.trace(counts) / max(counts.sum(), 1):.2%}")
    return _finish(figure, path)


def first_layer_weights(model, image_shape=(32, 32, 3), path=None, columns: int = 10, title: str | None = None):
    """Each unit of the first Dense layer as an image: its weight column reshaped to `image_shape`,
    scaled to [0, 1] (as in the course reports)."""
    kernel = next(layer.params["kernel"] for layer in model.layers if "kernel" in layer.params)
    units = kernel.shape[1]
    rows = -(-units // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.2 * rows), squeeze=False)
    for unit, axis in enumerate(axes.flat):
        axis.axis("off")
        if unit < units:
            image = kernel[:, unit].reshape(image_shape).astype(np.float64)
            image = (image - image.min()) / max(image.max() - image.min(), 1e-12)
            axis.imshow(image.squeeze(), cmap="gray" if image.shape[-1] == 1 or image.ndim == 2 else None)
    if title:
        figure.suptitle(title)
    return _finish(figure, path)


def learning_rate(schedule_or_rates, steps: int | None = None, path=None, title: str | None = None):
    """The learning rate per update: from a schedule (evaluated for `steps` updates) or a list."""
    if callable(schedule_or_rates) and steps is None:
        raise ValueError("learning_rate needs steps= (how many updates to show) with a schedule.")
    rates = [schedule_or_rates(t) for t in range(steps or 0)] if callable(schedule_or_rates) \
        else list(schedule_or_rates)
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.plot(np.arange(len(rates)), rates)
    axis.set_xlabel("update")
    axis.set_ylabel("learning rate")
    axis.grid(alpha=0.3)
    axis.set_title(title or "learning-rate schedule")
    return _finish(figure, path)


def class_distribution(splits: dict, class_names=None, path=None, title: str | None = None):
    """Number of samples per class in each split, e.g. ``{"train": y_train, "test": y_test}``."""
    n = len(class_names) if class_names is not None else 1 + max(int(np.max(y)) for y in splits.values())
    names = class_names if class_names is not None else [str(i) for i in range(n)]
    width = 0.8 / len(splits)
    figure, axis = plt.subplots(figsize=(max(6, 0.7 * n), 3.5))
    for k, (split, labels) in enumerate(splits.items()):
        counts = np.bincount(np.asarray(labels).astype(np.intp), minlength=n)
        axis.bar(np.arange(n) + k * width, counts, width, label=f"{split} ({len(labels)})")
    axis.set_xticks(np.arange(n) + width * (len(splits) - 1) / 2, names, rotation=45, ha="right")
    axis.set_ylabel("samples")
    axis.legend()
    axis.set_title(title or "class distribution")
    return _finish(figure, path)


def search_results(records: list[dict], param: str, metric: str, path=None, log: bool | None = None,
                   title: str | None = None):
    """`metric` of every finished trial against hyper-parameter `param` (log axis for positive
    values spanning more than a decade, unless `log` says otherwise)."""
    finished = [r for r in records if r.get("status") == "ok" and metric in r["metrics"]]
    xs = np.array([r["params"][param] for r in finished], dtype=float)
    ys = np.array([r["metrics"][metric] for r in finished])
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.scatter(xs, ys)
    if log is None:
        log = bool(xs.size) and xs.min() > 0 and xs.max() / xs.min() > 10
    if log:
        axis.set_xscale("log")
    if xs.size:
        best = int(np.argmax(ys))
        axis.scatter([xs[best]], [ys[best]], color="red", label=f"best {param}={xs[best]:.3g}")
        axis.legend()
    axis.set_xlabel(param)
    axis.set_ylabel(metric)
    axis.grid(alpha=0.3)
    axis.set_title(title or f"{metric} vs {param}")
    return _finish(figure, path)


def lr_range(result: dict, path=None, title: str | None = None):
    """The loss of `lr_range_test` against the learning rate (log axis), with the suggested bounds."""
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(result["lr"], result["loss"], alpha=0.3, label="batch loss")
    axis.plot(result["lr"], result["smoothed_loss"], label="smoothed")
    low, high = result["suggested"]
    for rate, name in ((low, "eta_min"), (high, "eta_max")):
        axis.axvline(rate, color="gray", linestyle="--")
        axis.text(rate, axis.get_ylim()[1], f" {name} {rate:.2g}", va="top", fontsize=8)
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel("loss")
    axis.legend()
    axis.set_title(title or "learning-rate range test")
    return _finish(figure, path)


def _graph_edges(model) -> list[tuple[str, str]]:
    """``(source layer, target layer)`` names: a functional model's calls, a Sequential model's chain."""
    if hasattr(model, "graph_calls"):
        names = model.node_names()
        return [(names[id(tensor)][0], str(node.layer.name)) for node in model.graph_calls() for tensor in node.inputs]
    chain = [str(layer.name) for layer in model.layers]
    return list(zip(chain[:-1], chain[1:]))


def _layer_label(layer, show_shapes: bool, show_dtype: bool, show_layer_names: bool, show_activations: bool,
                 show_trainable: bool) -> str:
    lines = [f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__]
    activation = getattr(layer, "activation", None)
    if show_activations and activation is not None:
        lines.append(f"activation: {type(activation).__name__}")
    if show_shapes and layer.built:
        shape = layer.steps()[-1].built_output_shape()
        lines.append(f"output: {(None, *shape)}")
    if show_dtype:
        lines.append(f"dtype: {np.dtype(getattr(layer, 'dtype', 'float32')).name}")
    if show_trainable:
        lines.append(f"trainable: {layer.trainable}")
    return "\n".join(lines)


def model_graph(model, path=None, show_shapes: bool = False, show_dtype: bool = False, show_layer_names: bool = True,
                rankdir: str = "TB", show_layer_activations: bool = False, show_trainable: bool = False,
                dpi: int = 110):
    """A drawing of the model's layers and what each reads (Keras' ``plot_model``, drawn with
    matplotlib instead of Graphviz): each layer a box, one row per step of depth from the inputs
    (one column with ``rankdir="LR"``), an arrow per call."""
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' (top to bottom) or 'LR' (left to right); got {rankdir!r}.")
    names = [str(layer.name) for layer in model.layers]
    edges = _graph_edges(model)
    reads: dict[str, list[str]] = {name: [] for name in names}
    for source, target in edges:
        reads[target].append(source)
    depth: dict[str, int] = {}
    for name in names:  # the layers come after what they read
        depth[name] = max((depth[source] + 1 for source in reads[name]), default=0)
    rows: dict[int, list[str]] = {}
    for name in names:
        rows.setdefault(depth[name], []).append(name)
    width = max(len(row) for row in rows.values())
    place = {name: (column - (len(row) - 1) / 2, float(-level)) for level, row in rows.items()
             for column, name in enumerate(row)}
    if rankdir == "LR":
        place = {name: (-y, -x) for name, (x, y) in place.items()}  # inputs on the left, rows as columns
    spread = (width, len(rows)) if rankdir == "TB" else (len(rows), width)
    figure, axes = plt.subplots(figsize=(2.0 + 3.2 * spread[0], 1.0 + 1.3 * spread[1]))
    labels = {str(layer.name): _layer_label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                                            show_trainable) for layer in model.layers}
    for source, target in edges:
        axes.annotate("", xy=place[target], xytext=place[source],
                      arrowprops={"arrowstyle": "->", "color": "0.35", "shrinkA": 18, "shrinkB": 18})
    for name, (x, y) in place.items():
        axes.text(x, y, labels[name], ha="center", va="center", fontsize=9,
                  bbox={"boxstyle": "round,pad=0.5", "facecolor": "#e8eef7", "edgecolor": "#4a6fa5"})
    xs, ys = [x for x, _ in place.values()], [y for _, y in place.values()]
    axes.set_xlim(min(xs) - 1, max(xs) + 1)
    axes.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    axes.set_axis_off()
    axes.set_title(f'Model "{model.name}"')
    figure.tight_layout()
    if path is not None:
        with atomic_path(path) as temporary:
            figure.savefig(temporary, dpi=dpi, format=os.path.splitext(os.fspath(path))[1][1:] or "png")
    return figure
