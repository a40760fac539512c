"""Keras' training API on a model: compile, fit, evaluate, predict and their batch-level forms.

`Trainer` is the half of `Model` that trains (as Keras' ``Model(Trainer, Layer)``); every
numeric pass goes to the model's `engine`. Return values follow Keras 3: `evaluate` gives the
scalar loss without metrics, else ``[loss, *metrics]`` in `metrics_names` order (``return_dict=True``:
a dict), and History values are Python floats.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import dask_scoring, losses, optimizers
from . import metrics as metrics_module
from .callbacks.base import CallbackList
from .callbacks.history import History
from .callbacks.progress import BatchProgress, ProgbarLogger, ProgressBar
from .checks import check_int, check_verbose, shown
from .compile_arguments import COURSE_LOSS, compiled_settings, deserialized, flat, refuse_custom_steps, serialized
from .dask_scoring import is_dask_array
from .data_streams import StreamBatches, predict_batches, stream_of, unpack
from .data_utils import BatchGatherer, Dataset, FitPosition, split_validation
from .engine import Engine
from .interrupts import deferred_interrupts
from .optimizers import Optimizer
from .registry import serialize
from .structures import rows

DEFAULT_BATCH_SIZE = 32  # Keras' batch size of fit when none is given


def _each_batch(progress: BatchProgress, hook):
    """The per-batch function of `evaluate` and `predict`: the progress display, then the callbacks' hook."""

    def after_batch(index):
        progress.advance(index)
        hook(index, {})

    return after_batch


class Trainer:
    """Mixed into `Model` (as Keras' ``Model(Trainer, Layer)``). It owns the training state set up
    here (compile settings, History, the epochs completed, the fit position) and runs on what its
    host declares below: the layers, the engine of the built model, the model's generator (which
    shuffles) and the seed of validation splits."""

    # -- what the host provides --------------------------------------------------------------
    layers: list
    _engine: Engine | None  # the engine, or None until one is needed
    _rng: np.random.Generator
    _split_seed: int

    @property
    def output_names(self) -> list[str]:
        raise NotImplementedError

    @property
    def engine(self) -> Engine:
        raise NotImplementedError

    def _require_built(self, x=None) -> None:
        raise NotImplementedError

    def _rebuild_engine(self) -> None:
        raise NotImplementedError

    @property
    def built(self) -> bool:
        raise NotImplementedError

    def _holds_keras_style_layers(self) -> bool:
        """Whether a layer (or the model itself) is written Keras' way, with ``call``."""
        raise NotImplementedError

    def __init__(self) -> None:
        self.optimizer: Optimizer | None = None
        self.loss: Any = None  # a Loss, or a list of them (one per output)
        self.compiled_metrics: list = []
        self.compiled_weighted_metrics: list = []
        self.loss_weights: list[float] | None = None
        self.stop_training = False
        self.history: History | None = None
        self.epoch = 0  # epochs completed by fit so far (saved with the model)
        self.epoch_order: np.ndarray | None = None  # the sample order of fit's epoch under way (None: data order)
        self.resume_at: FitPosition | None = None  # set by a callback in on_train_begin for fit to start from

    # -- where training stands -------------------------------------------------------------
    def get_training_state(self) -> dict:
        """Where training stands: completed epochs, the generator state (shuffling, dropout), split seed."""
        return {"epoch": self.epoch, "rng": self._rng.bit_generator.state, "split_seed": self._split_seed}

    def set_training_state(self, state: dict) -> None:
        """Restore `get_training_state()` output (the generator is updated in place)."""
        generator = self._rng.bit_generator
        rng_state = state["rng"]
        if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != type(generator).__name__:
            raise ValueError(f"Expected a {type(generator).__name__} generator state; got {rng_state!r}.")
        generator.state = rng_state
        self.epoch = int(state["epoch"])
        self._split_seed = int(state["split_seed"])

    # -- compile -----------------------------------------------------------------------------
    def compile(self, optimizer="sgd", loss=COURSE_LOSS, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True) -> None:
        """Choose the optimizer, loss and metrics (names, classes, instances; metrics may also be
        functions ``fn(y_true, y_pred)``); gives the model a fresh optimizer state.

        `loss=None` (Keras') trains on the losses the layers add (``add_loss``) only. Left out, the
        loss is the courses' categorical cross-entropy, or Keras' None for a model holding layers
        written Keras' way (with ``call``), whose added losses a Keras script may train alone.

        `weighted_metrics` are metrics that also take the samples' weights. `run_eagerly`,
        `steps_per_execution`, `jit_compile` and `auto_scale_loss` are accepted for Keras scripts
        and change nothing here (numpy runs eagerly, one batch at a time).
        """
        refuse_custom_steps(type(self))
        optimizer = optimizers.get(optimizer)
        if getattr(optimizer, "_model", None) not in (None, self):
            optimizer = optimizers.registry.from_config(serialize(optimizer))
        optimizer._model = self
        if loss is COURSE_LOSS and self._holds_keras_style_layers():
            loss = None
        self.loss, self.loss_weights, self.compiled_metrics, self.compiled_weighted_metrics = compiled_settings(
            loss, loss_weights, metrics, weighted_metrics, self.output_names)
        self.optimizer = optimizer
        self._rebuild_engine()

    def get_compile_config(self) -> dict | None:
        """Optimizer (with its schedule), loss, loss weights and metrics as JSON-able data (lists per
        output for several outputs); None before compile."""
        if not self.compiled:
            return None
        return {"optimizer": serialize(self.optimizer), "loss": serialized(self.loss),
                "loss_weights": self.loss_weights, "metrics": serialized(self.compiled_metrics),
                "weighted_metrics": serialized(self.compiled_weighted_metrics)}

    def compile_from_config(self, config: dict) -> None:
        """`compile` with the settings of `get_compile_config()`."""
        self.compile(optimizer=optimizers.registry.from_config(config["optimizer"]),
                     loss=deserialized(config["loss"], losses.registry),
                     loss_weights=config.get("loss_weights"),
                     metrics=deserialized(config["metrics"], metrics_module.registry),
                     weighted_metrics=deserialized(config.get("weighted_metrics", []), metrics_module.registry))

    @property
    def compiled(self) -> bool:
        return self.optimizer is not None

    @property
    def metrics(self) -> list:
        """The compiled metrics (resolved for the output, e.g. ``"accuracy"``, once the model is built)."""
        if self._engine is not None:
            return self._engine.metrics
        return flat([self.compiled_metrics, self.compiled_weighted_metrics])

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", *output losses, *metric names]``: the order of `evaluate`'s list (the per-output
        losses, ``"out_a_loss"``, with several outputs)."""
        if not self.compiled:
            return []
        several = len(self.output_names) > 1
        return ["loss", *(f"{name}_loss" for name in self.output_names if several),
                *(metric.name for metric in self.metrics)]

    def reset_metrics(self) -> None:
        """Keras' ``reset_metrics``: every compiled metric starts again from nothing (as at each epoch's start)."""
        if self._engine is not None:
            self._engine.reset_metrics()
        for metric in flat([self.compiled_metrics, self.compiled_weighted_metrics]):
            metric.reset_state()

    def _require_compiled(self, what: str) -> Optimizer:
        """The optimizer; ValueError before `compile`."""
        if self.optimizer is None:
            raise ValueError(f"Call model.compile(optimizer, loss, metrics) before {what}.")
        return self.optimizer

    # -- data --------------------------------------------------------------------------------
    def _dataset(self, x, y, sample_weight=None, class_weight=None, what="x") -> Dataset:
        self._require_built(x)
        return self.engine.dataset(x, y, sample_weight, class_weight, what)

    def _training_batches(self, x, y, batch_size: int, sample_weight, class_weight, steps):
        """``(batches, samples)`` of arrays (`BatchGatherer`) or of batches (`StreamBatches`, None)."""
        stream = stream_of(x, steps)
        if stream is None:
            if steps is not None:
                raise ValueError(f"steps_per_epoch counts the batches of a PyDataset or generator; with arrays every "
                                 f"epoch visits every sample, so it must be None. Got {steps!r}.")
            train = self._dataset(x, y, sample_weight, class_weight)
            return BatchGatherer(train, batch_size), len(train)
        if y is not None or sample_weight is not None or class_weight is not None:
            raise ValueError("A PyDataset or generator yields (x, y) or (x, y, sample_weight) batches: y, "
                             "sample_weight and class_weight must be None.")
        self._build_from(stream)
        return StreamBatches(stream, self.engine), None

    def _build_from(self, stream) -> None:
        """Build an unbuilt model from the first batch of a `PyDataset` or generator."""
        if not self.built:
            self._require_built(unpack(stream.first(), "x")[0])

    def _validation(self, validation_data, steps, batch_size):
        """What validates an epoch: a function giving the validation logs, or None."""
        if validation_data is None:
            return None
        stream = stream_of(validation_data, steps, "validation x")
        if stream is not None:
            batches = StreamBatches(stream, self.engine)
            return lambda: self.engine.evaluate_batches(batches.batches())
        if steps is not None:
            raise ValueError(f"validation_steps counts the batches of a PyDataset or generator; got {steps!r} with "
                             f"array validation data.")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight), or a "
                             "PyDataset or generator.")
        x_val, y_val, *weight = validation_data
        return self._evaluation_of(self._dataset(x_val, y_val, weight[0] if weight else None, what="validation x"),
                                   batch_size)

    def _evaluation_of(self, data: Dataset, batch_size):  # what validates an epoch on arrays
        return lambda: self.engine.evaluate(data, batch_size)

    def _refresh_engine(self) -> None:
        """Keras asks for compile() after changing `trainable`; here the next fit, train_on_batch or
        evaluate does it (with a fresh optimizer state, as compile gives). The engine also takes
        back the weights of layers it shares with another model that trained since."""
        engine = self._engine
        if engine is not None and engine.trainable_flags != tuple(layer.trainable for layer in engine.layers):
            self._rebuild_engine()
        elif engine is not None:
            engine.claim_variables()

    # -- training ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1, verbose="auto", callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True, class_weight=None,
            sample_weight=None, initial_epoch: int = 0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq: int = 1, *, validation_split_mode: str = "last",
            augment=None) -> History:
        """Train with mini-batch gradient descent; returns the `History` (Keras 3's signature).

        Each epoch visits every training sample once (reshuffled when `shuffle`), in batches of
        `batch_size` (32 when None). Logged per epoch: running means over the epoch's batches of
        ``loss`` (data + penalty), the metrics over the epoch's batches, ``val_*`` on the
        validation data after every `validation_freq`-th epoch, ``lr`` of the last update.
        `validation_split` holds out that fraction, chosen per `validation_split_mode`:
        ``"last"`` (default; Keras: the last samples, before shuffling), ``"stratified"`` (per
        class at random) or ``"random"``. `sample_weight` (per sample) and `class_weight` (dict or
        ``"balanced"``) scale each sample's loss and gradient. `augment`, a function
        ``(x_batch, rng) -> x_batch`` such as `preprocessing.ImageAugmenter`, transforms each
        training batch (a copy, never your data) with the model's generator. `verbose`: 0 silent,
        1 (``"auto"``) a progress bar, 2 one line per epoch. `x` (and `validation_data`) may also
        be a `PyDataset` or a generator of ``(x, y[, sample_weight])`` batches
        (`minikeras.data_streams`), with `steps_per_epoch` (`validation_steps`) batches an epoch.

        Ctrl-C stops training after the batch under way has been applied whole: weights, BatchNorm
        statistics, optimizer state and the model's generator are then those of a run of that many
        updates, `model.epoch` counts only completed epochs, ``on_epoch_end`` and ``on_train_end``
        run, and the partial history is returned (a second Ctrl-C aborts at once). The same holds
        when a callback sets ``model.stop_training`` mid-epoch (TerminateOnNaN).
        """
        optimizer = self._require_compiled("fit")
        batch_size = check_int("batch_size", DEFAULT_BATCH_SIZE if batch_size is None else batch_size, 1)
        check_int("epochs", epochs, 0)
        check_int("initial_epoch", initial_epoch, 0)
        check_int("validation_freq", validation_freq, 1)
        verbose = check_verbose(verbose, auto=1)
        self._refresh_engine()
        gatherer, samples = self._training_batches(x, y, batch_size, sample_weight, class_weight, steps_per_epoch)
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.floating)) \
                or not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be a fraction in [0, 1); got {shown(validation_split)}.")
        if validation_data is not None and validation_split:
            raise ValueError("Pass either validation_data or validation_split, not both.")
        if validation_split and gatherer.streamed:
            raise ValueError("validation_split splits arrays; give a PyDataset or generator's validation data as "
                             "validation_data.")
        val = self._validation(validation_data, validation_steps, validation_batch_size)
        if validation_split:
            train, held_out = split_validation(gatherer.data, validation_split, validation_split_mode,
                                               np.random.default_rng(self._split_seed))
            gatherer, samples = BatchGatherer(train, batch_size), len(train)
            val = self._evaluation_of(held_out, validation_batch_size)
        self.history = History()
        shows_progress = any(isinstance(callback, (ProgressBar, ProgbarLogger)) for callback in callbacks or [])
        extra = [ProgressBar(plain=verbose == 2)] if verbose and not shows_progress else []
        callback_list = CallbackList([self.history, *extra, *(callbacks or [])], self,
                                     {"epochs": epochs, "steps": len(gatherer), "samples": samples,
                                      "verbose": verbose})
        self.stop_training = False
        logs: dict = {}
        callback_list.on_train_begin()
        resume = self._resume_position(gatherer, initial_epoch)
        start = initial_epoch if resume is None else resume.epoch
        # A diverging model computes inf and NaN without numpy's warnings, as Keras does: the loss
        # shows it, and TerminateOnNaN stops the run.
        with deferred_interrupts() as interrupted, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(start, epochs):
                validate = val is not None and (epoch + 1 - initial_epoch) % validation_freq == 0
                position = resume if resume is not None and epoch == resume.epoch else FitPosition(epoch)
                logs = self._fit_epoch(position, gatherer, shuffle, val if validate else None, callback_list,
                                       augment, interrupted)
                if self.stop_training or interrupted():
                    break
            if interrupted():
                print(f"Training interrupted after a whole batch: {self.epoch} epochs completed, "
                      f"{optimizer.iterations} updates done.")
        if epochs > initial_epoch:
            optimizer.finalize_variable_values(self.engine.trainable_variables)
        callback_list.on_train_end(logs)
        return self.history

    def _resume_position(self, gatherer, initial_epoch: int) -> FitPosition | None:
        """The `resume_at` a callback set in ``on_train_begin`` (then cleared), checked against the data."""
        resume, self.resume_at = self.resume_at, None
        if resume is None or resume.epoch < initial_epoch:
            return None
        if gatherer.streamed and not gatherer.stream.indexed:
            raise ValueError("BackupAndRestore resumes fit on arrays and PyDatasets; a run on a generator cannot be "
                             "resumed (its batches cannot be replayed to where the backup was taken).")
        n = len(gatherer) if gatherer.streamed else len(gatherer.data)  # batches of a PyDataset, else samples
        if not 0 <= resume.batch < len(gatherer):
            raise ValueError(f"Cannot resume at batch {resume.batch} of epoch {resume.epoch + 1}: an epoch has "
                             f"{len(gatherer)} batches here (other data or batch_size?).")
        order = resume.order
        if order is not None and not (order.shape == (n,) and np.array_equal(np.sort(order), np.arange(n))):
            raise ValueError(f"Cannot resume: the saved order is not a permutation of the {n} training "
                             f"{'batches' if gatherer.streamed else 'samples'} (other data?).")
        return resume

    def _fit_epoch(self, position: FitPosition, gatherer, shuffle, val, callback_list, augment, interrupted) -> dict:
        epoch, first = position.epoch, position.batch
        callback_list.on_epoch_begin(epoch)
        # An ordered epoch with augmentation still gathers: batches are then copies, not views of x.
        if first:
            order = position.order  # resumed mid-epoch: the generator already drew this epoch's order
        elif gatherer.streamed:  # a PyDataset's batches in a shuffled order; a generator's as they come
            order = self._rng.permutation(len(gatherer)) if shuffle and gatherer.stream.indexed else None
        else:
            n = len(gatherer.data)
            order = self._rng.permutation(n) if shuffle else (np.arange(n) if augment else None)
        self.epoch_order = order
        engine = self.engine
        engine.reset_metrics()
        total, seen = 0.0, 0
        logs: dict = {}
        train_step = engine.train_step
        for batch, (xb, tb, wb) in enumerate(gatherer.batches(order, first), start=first):
            if augment is not None:
                xb = augment(xb, self._rng)
            size = rows(xb)
            callback_list.on_train_batch_begin(batch, {"size": size})
            loss = train_step(xb, tb, wb)
            seen += size
            total += loss * size
            logs = {"loss": total / seen, **engine.metric_results()}
            callback_list.on_train_batch_end(batch, logs)
            if self.stop_training or interrupted():
                break
        if gatherer.streamed:  # complete unless stopped or out of data (which ends the run, as Keras)
            complete = not (self.stop_training or interrupted() or gatherer.stream.ran_out)
            self.stop_training = self.stop_training or gatherer.stream.ran_out
        else:
            n = len(gatherer.data)
            complete = min(first * gatherer.batch_size, n) + seen == n
        if complete:
            self.epoch = epoch + 1  # an epoch counts only when every batch of it was applied
        if val is not None and complete:
            callback_list.on_test_begin()
            val_logs = val()
            callback_list.on_test_end(val_logs)
            logs.update({f"val_{key}": value for key, value in val_logs.items()})
        logs["lr"] = engine.optimizer.last_learning_rate
        callback_list.on_epoch_end(epoch, logs)
        return logs

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict: bool = False):
        """One update from one batch; returns the loss (and metrics) of the forward pass it used,
        as `evaluate` returns them."""
        self._require_compiled("train_on_batch")
        self._refresh_engine()
        data = self._dataset(x, y, sample_weight, class_weight)
        engine = self.engine
        engine.reset_metrics()
        loss = engine.train_step(data.x, data.targets, data.weights)
        return self._keras_return({"loss": loss, **engine.metric_results()}, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss (and metrics) of one batch in inference mode, as `evaluate` returns them."""
        return self.evaluate(x, y, batch_size=self._batch_rows(x), verbose=0, sample_weight=sample_weight,
                             return_dict=return_dict)

    # -- inference ---------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict: bool = False):
        """Loss and metrics over the whole data set, in inference mode (Keras 3's signature).

        Returns the scalar loss when the model has no metrics, else ``[loss, *metrics]`` in
        `metrics_names` order; ``return_dict=True`` gives ``{"loss": ..., metric: ...}``. The loss
        is the (weighted) mean data loss over samples plus the regularization penalty.
        """
        self._require_compiled("evaluate")
        if batch_size is not None:
            check_int("batch_size", batch_size, 1)
        verbose = check_verbose(verbose, auto=1)
        self._refresh_engine()
        stream = stream_of(x, steps)
        if stream is None and steps is not None:
            raise ValueError(f"steps counts the batches of a PyDataset or generator; with arrays evaluate visits every "
                             f"sample, so it must be None. Got steps={steps!r}.")
        if is_dask_array(x):  # chunk by chunk on Dask's workers, the sums added up here (`dask_scoring`)
            return self._keras_return(dask_scoring.evaluate(self, x, y, sample_weight, batch_size), return_dict)
        gatherer: Any
        if stream is not None:
            self._build_from(stream)
            gatherer, samples = StreamBatches(stream, self.engine), None
        else:
            data = self._dataset(x, y, sample_weight)
            gatherer, samples = BatchGatherer(data, self.engine.evaluation_batch_size(batch_size)), len(data)
        engine, steps = self.engine, len(gatherer)
        progress = BatchProgress(steps, verbose)
        callback_list = CallbackList(callbacks or [], self, {"steps": steps, "samples": samples, "verbose": verbose})
        callback_list.on_test_begin()
        on_batch = _each_batch(progress, callback_list.on_test_batch_end)
        values = engine.evaluate_batches(gatherer.batches(), on_batch=on_batch)
        progress.finish(values)
        callback_list.on_test_end(values)
        return self._keras_return(values, return_dict)

    def _keras_return(self, values: dict, return_dict: bool):
        if return_dict:
            return values
        if len(values) == 1:
            return values["loss"]
        return [values[name] for name in self.metrics_names]

    def predict(self, x, batch_size: int | None = None, verbose="auto", steps=None, callbacks=None) -> np.ndarray:
        """Outputs ``(N, ...)`` (class probabilities after a softmax), computed `batch_size` rows at a time
        (or the batches of a `PyDataset` or generator: `steps` of them, all by default)."""
        stream = stream_of(x, steps)
        if stream is None and steps is not None:
            raise ValueError(f"steps counts the batches of a PyDataset or generator; with arrays predict covers every "
                             f"sample, so it must be None. Got steps={steps!r}.")
        if is_dask_array(x):  # a lazy Dask array of the outputs, chunk by chunk (`dask_scoring`)
            self._require_built(x)
            return dask_scoring.predict(self, x, batch_size)
        if stream is not None:
            return self._predict_stream(stream, verbose, callbacks)
        self._require_built(x)
        x = self.engine.inputs(x)
        if batch_size is not None:
            check_int("batch_size", batch_size, 1)
        verbose = check_verbose(verbose, auto=1)
        engine = self.engine
        steps = -(-rows(x) // engine.evaluation_batch_size(batch_size))
        progress = BatchProgress(steps, verbose)
        callback_list = CallbackList(callbacks or [], self, {"steps": steps, "samples": rows(x), "verbose": verbose})
        callback_list.on_predict_begin()
        output = engine.predict(x, batch_size, on_batch=_each_batch(progress, callback_list.on_predict_batch_end))
        progress.finish({})
        callback_list.on_predict_end()
        return self.structured(output)

    def _predict_stream(self, stream, verbose, callbacks):
        self._build_from(stream)
        engine = self.engine
        progress = BatchProgress(len(stream), check_verbose(verbose, auto=1))
        callback_list = CallbackList(callbacks or [], self, {"steps": len(stream), "samples": None, "verbose": verbose})
        callback_list.on_predict_begin()
        outputs = predict_batches(engine, stream, _each_batch(progress, callback_list.on_predict_batch_end))
        progress.finish({})
        callback_list.on_predict_end()
        return self.structured(outputs)

    def predict_on_batch(self, x) -> np.ndarray:
        """Outputs of one batch, in inference mode."""
        return self.predict(x, batch_size=self._batch_rows(x), verbose=0)

    def _batch_rows(self, x) -> int:
        """The samples of the batch `x` (checked as inputs)."""
        self._require_built(x)
        return max(rows(self.engine.inputs(x)), 1)

    def structured(self, outputs):
        """Outputs as the model returns them (a functional model with dict outputs: a dict)."""
        return outputs
