"""`predict` and `evaluate` on Dask arrays (`minikeras.dask_scoring`): on a real cluster of worker
processes they equal the same calls on the data in memory, the model travels in one task, and
what cannot be scored this way is refused clearly."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as local:
        yield local


def _data(n=700, d=12):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, d)).astype("float32")
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)


def _model(metrics=("accuracy",)):
    x, y = _data()
    model = mk.Model(input_dim=x.shape[1], seed=1)
    model.add_layer(16, "relu", batch_norm=True, dropout=0.2)
    model.add_layer(3, "softmax")
    model.compile(optimizer="adam", metrics=list(metrics))
    model.fit(x, y, epochs=2, verbose=0)
    return model


def test_predict_on_a_cluster_equals_predict_in_memory(cluster):
    x, _ = _data()
    model = _model()
    outputs = model.predict(da.from_array(x, chunks=(130, 5)), batch_size=50)  # rechunked to whole rows
    assert isinstance(outputs, da.Array) and outputs.shape == (len(x), 3) and outputs.chunks[0][0] == 130
    with distributed.Client(cluster) as client:
        computed = outputs.compute()
        loaded = client.run(lambda: sorted(__import__("minikeras.dask_scoring").dask_scoring._LOADED))
    np.testing.assert_allclose(computed, model.predict(x, verbose=0), rtol=1e-6, atol=1e-7)
    assert all(len(digests) == 1 for digests in loaded.values())  # each worker that scored loaded the model once


def test_the_model_travels_in_one_task_that_every_chunk_depends_on():
    x, _ = _data()
    graph = dict(_model().predict(da.from_array(x, chunks=100)).__dask_graph__())
    model_keys = [key for key in graph if str(key).startswith("bytes-")]
    assert len(model_keys) == 1
    dependents = [key for key in graph if str(key).startswith("_predict_part-")]
    assert len(dependents) == 7


def test_evaluate_on_a_cluster_equals_evaluate_in_memory(cluster):
    x, y = _data()
    weights = np.random.default_rng(2).uniform(0.5, 2.0, len(x))
    model = _model(("accuracy", mk.metrics.F1Score(), mk.metrics.AUC(), mk.metrics.Precision()))
    expected = model.evaluate(x, y, sample_weight=weights, return_dict=True, verbose=0)
    with distributed.Client(cluster):
        dask_y = da.from_array(y, chunks=300)  # other chunks than x's: aligned to them
        got = model.evaluate(da.from_array(x, chunks=(90, 12)), dask_y, sample_weight=weights, return_dict=True)
    assert got.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-6, err_msg=name)


def test_without_a_cluster_dask_runs_the_chunks_in_threads_with_the_same_results():
    x, y = _data()
    model = _model()
    np.testing.assert_allclose(model.predict(da.from_array(x, chunks=64)).compute(), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
    assert model.evaluate(da.from_array(x, chunks=64), y) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


@mk.saving.register_keras_serializable(package="tests")  # workers load the model: its classes must be known
class Summed(mk.metrics.Metric):
    """A custom metric keeping its state in an attribute, without naming it in state_names."""

    def __init__(self):
        super().__init__("summed")
        self.reset_state()

    def reset_state(self):
        self.total = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total += float(np.sum(y_pred))

    def result(self):
        return self.total


def test_what_cannot_be_scored_chunk_by_chunk_is_refused():
    x, y = _data()
    model = _model((Summed(),))
    with pytest.raises(ValueError, match="Summed keeps its state in attributes its reset_state sets: name them in "
                                         "state_names"):
        model.evaluate(da.from_array(x, chunks=100), y, verbose=0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 12\); got the Dask array of shape \(700, 11\)"):
        _model().predict(da.from_array(x[:, :11], chunks=100))
    with pytest.raises(ValueError, match="x has 700 samples but y has 699"):
        _model().evaluate(da.from_array(x, chunks=100), y[:-1], verbose=0)


@mk.saving.register_keras_serializable(package="tests")
class Counted(mk.metrics.Metric):
    """Rows seen (summed over chunks) and batches seen by the first chunk."""

    def __init__(self, name="counted", dtype=None):
        super().__init__(name, dtype)
        self.seen = self.add_variable(aggregation="sum", name="seen")
        self.first = self.add_variable(aggregation="only_first_replica", name="first")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.seen.assign(self.seen.numpy() + len(y_pred))
        self.first.assign(self.first.numpy() + 1)

    def result(self):
        return [float(self.seen.numpy()), float(self.first.numpy())]


def test_a_metric_with_variables_adds_them_up_as_declared():
    x, y = _data()
    model = _model((Counted(),))
    assert model.evaluate(da.from_array(x, chunks=100), y, batch_size=25, return_dict=True)["counted"] == [700.0, 4.0]
