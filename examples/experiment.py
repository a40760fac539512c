"""Shared plumbing of the seed-experiment scripts: data splits, one run, result files, tables.

Every run records train/validation/test accuracy and loss (inference mode, after training),
seconds per epoch, and the per-epoch history; `write_results` saves them as JSON, and each run
gets a learning-curve PNG and a test confusion-matrix PNG in the output folder.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from rich.console import Console
from rich.table import Table

import minikeras as mk
from minikeras import experiments
from minikeras.datasets import cifar10

CIFAR_NAMES = cifar10.CLASS_NAMES
MNIST_NAMES = [str(d) for d in range(10)]


def cifar_splits(layout: str, data_path=None):
    """CIFAR-10 as float32 rows standardized per pixel with the training set's statistics.

    ``layout="one_batch"``: data_batch_1 train, data_batch_2 validation, test_batch test (DD2424 A1).
    ``layout="all"``: all five training batches minus the last tenth for validation
    (45,000 / 5,000, DD2424 A3), test_batch test.
    """
    return experiments.load_splits({"dataset": "cifar10", "path": data_path or "", "split": layout,
                                    "validation": 0.1, "standardize": "feature"})


def mnist_splits(data_path=None, standardize: bool = False):
    """MNIST rows scaled to [0, 1] (or standardized globally), the last 10% of the training set held out."""
    return experiments.load_splits({"dataset": "mnist", "path": data_path or "", "split": "all", "validation": 0.1,
                                    "standardize": "global" if standardize else "scale"})


class StopAfterUpdates(mk.callbacks.Callback):
    """Stop training once the optimizer has made `updates` updates (e.g. a whole number of CLR cycles)."""

    def __init__(self, updates: int):
        super().__init__()
        self.updates = updates

    def on_batch_end(self, batch, logs=None):
        if self.model.optimizer.iterations >= self.updates:
            self.model.stop_training = True


def cyclic_sgd(step_size: int, eta_min: float = 1e-5, eta_max: float = 1e-1, momentum: float = 0.0):
    return mk.optimizers.SGD(mk.schedules.CyclicLR(eta_min, eta_max, step_size), momentum=momentum)


def run(name: str, model: mk.Model, data: dict, out_dir: str, class_names=CIFAR_NAMES, **fit_kwargs) -> dict:
    """Train `model` on data["train"] (validating on data["val"]), evaluate every split, save plots."""
    x, y = data["train"]
    start = time.perf_counter()
    history = model.fit(x, y, validation_data=data["val"], verbose=2, **fit_kwargs)
    seconds = time.perf_counter() - start
    result = {"name": name, "epochs": len(history.epoch), "seconds_per_epoch": seconds / max(len(history.epoch), 1),
              **experiments.scores(model, data), "history": history.history}
    slug = name.replace(" ", "_").replace("/", "-").replace(",", "")
    os.makedirs(out_dir, exist_ok=True)
    experiments.plot_run(model, history, data["test"], out_dir, prefix=f"{slug}_", title=name, class_names=class_names,
                         confusion_title=f"{name}: test accuracy {result['test_accuracy']:.2%}")
    print(f"{name}: train {result['train_accuracy']:.2%}  val {result['val_accuracy']:.2%}  "
          f"test {result['test_accuracy']:.2%}  ({result['seconds_per_epoch']:.2f} s/epoch)")
    return result


def write_results(results: list[dict], out_dir: str, experiment: str, published: dict | None = None) -> str:
    """Save every run (with the published number it is measured against) to results.json."""
    for result in results:
        result["published_test_accuracy"] = (published or {}).get(result["name"])
    path = os.path.join(out_dir, "results.json")
    payload = {"experiment": experiment, "minikeras": mk.__version__, "python": platform.python_version(),
               "numpy": np.__version__, "runs": results}
    with open(path, "w") as f:
        json.dump(payload, f, indent=1)
    return path


def print_table(results: list[dict], title: str) -> None:
    table = Table(title=title)
    for column in ("run", "train", "val", "test", "published test", "s/epoch"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for r in results:
        published = r.get("published_test_accuracy")
        table.add_row(r["name"], f"{r['train_accuracy']:.2%}", f"{r['val_accuracy']:.2%}", f"{r['test_accuracy']:.2%}",
                      "-" if published is None else f"{published:.2%}", f"{r['seconds_per_epoch']:.2f}")
    Console().print(table)


def arguments(doc: str, data_help: str = "folder (or tar.gz) of CIFAR-10; default $MINIKERAS_DATA"):
    """The command line every seed script shares: --data and --out (scripts add their own)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help=data_help)
    parser.add_argument("--out", help="output folder (default runs/<experiment>)")
    return parser


def output_folder(args_out: str | None, experiment: str) -> str:
    out = args_out or os.path.join("runs", experiment)
    os.makedirs(out, exist_ok=True)
    return out
