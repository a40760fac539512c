import numpy as np
import pytest

import minikeras as mk


def _model(use_ema=True):
    model = mk.Sequential([mk.layers.Dense(8, activation="relu"), mk.layers.Dense(2, activation="softmax")],
                          input_dim=4, seed=0)
    model.compile(mk.optimizers.SGD(0.1, momentum=0.9, use_ema=use_ema, ema_momentum=0.8),
                  "sparse_categorical_crossentropy", ["accuracy"])
    return model


DATA = np.random.default_rng(0).normal(size=(96, 4)).astype("float32"), np.random.default_rng(1).integers(0, 2, 96)


def _trainable(model):
    return np.concatenate([v.value.ravel() for v in model.trainable_weights])


def _averages(model):
    return np.concatenate([model.optimizer.slot(v, "average").value.ravel() for v in model.trainable_weights])


class Seen(mk.callbacks.Callback):
    """Records the weights the model holds at test and epoch-end time."""

    def __init__(self):
        super().__init__()
        self.at_test, self.at_epoch_end = [], []

    def on_test_begin(self, logs=None):
        self.at_test.append(_trainable(self.model))

    def on_epoch_end(self, epoch, logs=None):
        self.at_epoch_end.append((_trainable(self.model), _averages(self.model)))


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_validation_sees_the_averages_and_fit_ends_as_use_ema_does(swap_on_epoch):
    x, y = DATA
    reference = _model()
    reference.fit(x, y, epochs=3, batch_size=32, verbose=0)
    seen, model = Seen(), _model()
    history = model.fit(x, y, epochs=3, batch_size=32, validation_data=(x, y), verbose=0,
                        callbacks=[mk.callbacks.SwapEMAWeights(swap_on_epoch), seen])
    for weights, (at_epoch_end, average) in zip(seen.at_test, seen.at_epoch_end):
        np.testing.assert_array_equal(weights, average)  # validation ran on the averages
        np.testing.assert_array_equal(at_epoch_end, average if swap_on_epoch else at_epoch_end)
    for a, b in zip(reference.get_weights(), model.get_weights()):  # training itself is unchanged
        np.testing.assert_array_equal(a, b)
    with_averages = _model()
    with_averages.set_weights(model.get_weights())
    assert history.history["val_loss"][-1] == pytest.approx(with_averages.evaluate(x, y, verbose=0)[0], rel=1e-6)


def test_evaluate_and_predict_with_the_callback_use_the_averages_then_restore():
    x, y = DATA
    model = _model()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    for variable in model.trainable_weights:  # make the averages differ from the weights
        model.optimizer.slot(variable, "average").assign(0.5 * variable.value)
    trained = _trainable(model)
    averaged = _model()
    for variable, source in zip(averaged.trainable_weights, model.trainable_weights):
        variable.assign(model.optimizer.slot(source, "average").value)
    swap = mk.callbacks.SwapEMAWeights()
    np.testing.assert_array_equal(model.predict(x, verbose=0, callbacks=[swap]), averaged.predict(x, verbose=0))
    assert model.evaluate(x, y, verbose=0, callbacks=[swap]) == averaged.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(_trainable(model), trained)


def test_needs_use_ema():
    x, y = DATA
    with pytest.raises(ValueError, match="use_ema=True"):
        _model(use_ema=False).fit(x, y, validation_data=(x, y), verbose=0,
                                  callbacks=[mk.callbacks.SwapEMAWeights()])
