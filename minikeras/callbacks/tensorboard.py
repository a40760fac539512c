"""Training curves and weight histograms for TensorBoard, written with tensorboardX
(``pip install minikeras[tensorboard]``)."""
from __future__ import annotations

import os
import time

import numpy as np

from .base import Callback, registry

LOG_RENAMES = {"lr": "learning_rate"}  # our log key -> Keras' TensorBoard tag


@registry.register()
class TensorBoard(Callback):
    """Keras' ``TensorBoard(log_dir="logs", histogram_freq=0, ..., update_freq="epoch")``, with
    Keras' layout and tags, so that ``tensorboard --logdir logs`` shows the same plots:

    - ``log_dir/train``: ``epoch_loss``, ``epoch_<metric>``, ``epoch_learning_rate`` at each epoch;
      with `update_freq` ``"batch"`` or N, also ``batch_loss``, ``batch_<metric>`` every N batches
      (step: batches since the start of this fit); `histogram_freq` N: a histogram of every weight
      (``<layer>/<weight>/histogram``) every N epochs; ``write_steps_per_second``:
      ``epoch_steps_per_second`` (and ``batch_steps_per_second``).
    - ``log_dir/validation``: ``epoch_<name>`` of the ``val_*`` logs, and
      ``evaluation_<name>_vs_iterations`` with the update count as step.

    A numpy model has no graph to draw, so `write_graph` changes nothing; weight images,
    profiling and embeddings are refused.
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq="epoch", profile_batch=0, embeddings_freq: int = 0,
                 embeddings_metadata=None):
        super().__init__()
        try:
            import tensorboardX
        except ImportError:
            raise ImportError("The TensorBoard callback writes its files with the tensorboardX package: "
                              "pip install 'minikeras[tensorboard]'.") from None
        self._writer_class = tensorboardX.SummaryWriter
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard histogram_freq must be an int >= 0 (epochs); got {histogram_freq!r}.")
        if update_freq not in ("epoch", "batch") and (isinstance(update_freq, bool) or not isinstance(update_freq, int)
                                                      or update_freq < 1):
            raise ValueError(f"TensorBoard update_freq must be 'epoch', 'batch' or a number of batches >= 1; got "
                             f"{update_freq!r}.")
        unsupported = {"write_images": write_images, "profile_batch": profile_batch,
                       "embeddings_freq": embeddings_freq, "embeddings_metadata": embeddings_metadata}
        given = {name: value for name, value in unsupported.items() if value}
        if given:
            raise ValueError(f"TensorBoard here writes scalars and histograms only; weight images, profiling and "
                             f"embeddings are not supported. Got {given}.")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writers: dict = {}
        self._global_batch = 0
        self._batch_start = self._epoch_start = 0.0

    def _writer(self, run: str):
        if run not in self._writers:
            self._writers[run] = self._writer_class(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_begin(self, logs=None):
        self._global_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_batch_begin(self, batch, logs=None):
        self._batch_start = time.perf_counter()

    def on_batch_end(self, batch, logs=None):
        self._global_batch += 1
        if self.update_freq == "epoch" or self._global_batch % self.update_freq:
            return
        scalars = dict(logs or {})
        if self.write_steps_per_second:
            scalars["steps_per_second"] = 1.0 / max(time.perf_counter() - self._batch_start, 1e-9)
        self._scalars("train", "batch_", scalars, self._global_batch)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {LOG_RENAMES.get(key, key): value for key, value in logs.items() if not key.startswith("val_")}
        if self.write_steps_per_second:
            train["steps_per_second"] = self.params.get("steps", 0) / max(time.perf_counter() - self._epoch_start,
                                                                          1e-9)
        self._scalars("train", "epoch_", train, epoch)
        validation = {key[4:]: value for key, value in logs.items() if key.startswith("val_")}
        if validation:
            self._scalars("validation", "epoch_", validation, epoch)
            iterations = self.model.optimizer.iterations
            for name, value in validation.items():
                self._writer("validation").add_scalar(f"evaluation_{name}_vs_iterations", value, iterations)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            writer = self._writer("train")
            for variable in self.model.weights:
                writer.add_histogram(f"{variable.path}/histogram", variable.value.astype(np.float64), epoch)
        for writer in self._writers.values():
            writer.flush()

    def _scalars(self, run: str, prefix: str, values: dict, step: int) -> None:
        writer = self._writer(run)
        for name, value in values.items():
            if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
                writer.add_scalar(f"{prefix}{name}", float(value), step)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers: dict = {}
