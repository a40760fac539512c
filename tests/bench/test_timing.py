from bench import timing


def test_alternate_reverses_every_other_turn_when_asked():
    calls = []
    contenders = {name: (lambda name=name: calls.append(name) or 0.0) for name in "ab"}
    timing.alternate(contenders, 3, both_orders=True)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then turns in both orders
    calls.clear()
    timing.alternate(contenders, 2)
    assert calls == ["a", "b", "a", "b", "a", "b"]


def test_alternate_with_fit_times_epochs_inside_one_fit_and_runs_the_others_between():
    import numpy as np

    import minikeras as mk
    calls = []
    model = mk.Sequential([mk.Input(shape=(3,)), mk.layers.Dense(2, activation="softmax")], seed=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = np.ones((10, 3), "float32"), np.arange(10) % 2

    def fit(epochs, callbacks):
        calls.append(("fit", epochs))
        return model.fit(x, y, epochs=epochs, verbose=0, callbacks=callbacks)

    times = timing.alternate_with_fit(fit, {"other": lambda: calls.append("other") or 1.0}, 3)
    assert calls == [("fit", 4), "other", "other", "other", "other"]  # one fit; the first epoch a warm-up
    assert len(times["minikeras"]) == 3 and times["other"] == [1.0, 1.0, 1.0]
    assert all(seconds > 0 for seconds in times["minikeras"])
    assert model.epoch == 4
