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


def _finish(figure, path):
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=110)
    return figure


def learning_curves(history, path=None, title: str | None = None):
    """Loss and accuracy per epoch, training vs validation, from a `History` or its dict."""
    logs = getattr(history, "history", history)
    metrics = [key for key in logs if not key.startswith("val_") and key != "lr"]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6), squeeze=False)
    for axis, key in zip(axes[0], metrics):
        epochs = np.arange(1, len(logs[key]) + 1)
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
