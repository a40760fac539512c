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
           "class_distribution", "search_results", "lr_range"]


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
