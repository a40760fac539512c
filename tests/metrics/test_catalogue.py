"""Every metric against Keras' own implementation (PyTorch backend), accumulated over two batches,
and AUC against the exact Mann-Whitney area where thresholds cannot change it."""
import keras
import numpy as np
import pytest

from minikeras import metrics, ops

RNG = np.random.default_rng(0)
N, C = 40, 4
PROBS = RNG.dirichlet(np.ones(C), N)
IDS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C)[IDS]
SCORES = RNG.uniform(0, 1, (N, 1))
BINARY = (RNG.uniform(0, 1, (N, 1)) < SCORES).astype(float)  # informative but imperfect scores
REAL_TRUE = RNG.standard_normal((N, 3)) * 2
REAL_PRED = REAL_TRUE + RNG.standard_normal((N, 3))

# name -> (ours, Keras', y_true ours, y_true Keras, y_pred)
CASES = {
    "binary_accuracy": (metrics.BinaryAccuracy(), keras.metrics.BinaryAccuracy(), BINARY, BINARY, SCORES),
    "binary_accuracy, threshold 0.3": (metrics.BinaryAccuracy(threshold=0.3),
                                       keras.metrics.BinaryAccuracy(threshold=0.3), BINARY, BINARY, SCORES),
    "categorical_accuracy": (metrics.CategoricalAccuracy(), keras.metrics.CategoricalAccuracy(), ONE_HOT, ONE_HOT,
                             PROBS),
    "sparse_categorical_accuracy": (metrics.SparseCategoricalAccuracy(), keras.metrics.SparseCategoricalAccuracy(),
                                    IDS, IDS, PROBS),
    "top_k_categorical_accuracy": (metrics.TopKCategoricalAccuracy(k=2), keras.metrics.TopKCategoricalAccuracy(k=2),
                                   ONE_HOT, ONE_HOT, PROBS),
    "sparse_top_k_categorical_accuracy": (metrics.SparseTopKCategoricalAccuracy(k=2),
                                          keras.metrics.SparseTopKCategoricalAccuracy(k=2), IDS, IDS, PROBS),
    "precision": (metrics.Precision(), keras.metrics.Precision(), BINARY, BINARY, SCORES),
    "precision, thresholds": (metrics.Precision(thresholds=[0.2, 0.7]), keras.metrics.Precision(thresholds=[0.2, 0.7]),
                              BINARY, BINARY, SCORES),
    "recall": (metrics.Recall(), keras.metrics.Recall(), BINARY, BINARY, SCORES),
    "auc": (metrics.AUC(), keras.metrics.AUC(), BINARY, BINARY, SCORES),
    "auc, PR": (metrics.AUC(curve="PR"), keras.metrics.AUC(curve="PR"), BINARY, BINARY, SCORES),
    "auc, PR, majoring": (metrics.AUC(curve="PR", summation_method="majoring", num_thresholds=50),
                          keras.metrics.AUC(curve="PR", summation_method="majoring", num_thresholds=50),
                          BINARY, BINARY, SCORES),
    "auc, categorical": (metrics.AUC(), keras.metrics.AUC(), IDS, ONE_HOT, PROBS),
    "f1_score": (metrics.F1Score(), keras.metrics.F1Score(), ONE_HOT, ONE_HOT, PROBS),
    "f1_score, macro, threshold": (metrics.F1Score(average="macro", threshold=0.3),
                                   keras.metrics.F1Score(average="macro", threshold=0.3), ONE_HOT, ONE_HOT, PROBS),
    "f1_score, micro": (metrics.F1Score(average="micro"), keras.metrics.F1Score(average="micro"), ONE_HOT, ONE_HOT,
                        PROBS),
    "f1_score, weighted": (metrics.F1Score(average="weighted"), keras.metrics.F1Score(average="weighted"), ONE_HOT,
                           ONE_HOT, PROBS),
    "mean_absolute_error": (metrics.MeanAbsoluteError(), keras.metrics.MeanAbsoluteError(), REAL_TRUE, REAL_TRUE,
                            REAL_PRED),
    "mean_squared_error": (metrics.MeanSquaredError(), keras.metrics.MeanSquaredError(), REAL_TRUE, REAL_TRUE,
                           REAL_PRED),
    "root_mean_squared_error": (metrics.RootMeanSquaredError(), keras.metrics.RootMeanSquaredError(), REAL_TRUE,
                                REAL_TRUE, REAL_PRED),
    "mean_absolute_percentage_error": (metrics.MeanAbsolutePercentageError(),
                                       keras.metrics.MeanAbsolutePercentageError(), REAL_TRUE, REAL_TRUE, REAL_PRED),
    "r2_score": (metrics.R2Score(), keras.metrics.R2Score(), REAL_TRUE, REAL_TRUE, REAL_PRED),
    "a function of ops (MeanMetricWrapper)": (
        metrics.MeanMetricWrapper(lambda t, p: ops.mean(ops.abs(p - t), axis=-1)),
        keras.metrics.MeanMetricWrapper(lambda t, p: keras.ops.mean(keras.ops.abs(p - t), axis=-1)),
        REAL_TRUE, REAL_TRUE, REAL_PRED),
    "r2_score, variance weighted": (
        metrics.R2Score(class_aggregation="variance_weighted_average"),
        keras.metrics.R2Score(class_aggregation="variance_weighted_average"), REAL_TRUE, REAL_TRUE, REAL_PRED),
    # One output: Keras 3.15 counts N x outputs "samples" for the adjustment; its current source,
    # and minikeras, count samples. With one output both agree.
    "r2_score, adjusted": (metrics.R2Score(num_regressors=2), keras.metrics.R2Score(num_regressors=2),
                           REAL_TRUE[:, :1], REAL_TRUE[:, :1], REAL_PRED[:, :1]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_keras_over_two_batches(name):
    ours, theirs, y_ours, y_keras, y_pred = CASES[name]
    ours.reset_state()
    for rows in (slice(0, 25), slice(25, N)):
        ours.update_state(y_ours[rows], y_pred[rows])
        theirs.update_state(y_keras[rows].astype("float32"), y_pred[rows].astype("float32"))
    expected = np.asarray(keras.ops.convert_to_numpy(theirs.result()), dtype=np.float64)
    np.testing.assert_allclose(np.asarray(ours.result(), dtype=np.float64), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_reset_state_starts_over(name):
    ours, _, y_true, _, y_pred = CASES[name]
    ours.reset_state()
    first = ours(y_true[:20], y_pred[:20])
    ours.update_state(y_true[20:], y_pred[20:])
    ours.reset_state()
    np.testing.assert_allclose(ours(y_true[:20], y_pred[:20]), first)


def _mann_whitney_auc(labels, scores):
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (positives[:, None] == negatives[None, :]).sum()
    return wins / (len(positives) * len(negatives))


def test_roc_auc_is_the_exact_area_when_every_score_has_its_own_threshold_bucket():
    buckets = RNG.permutation(199)[:N]
    scores = ((buckets + 0.5) / 199)[:, None]  # one score per interval between Keras' 200 thresholds
    labels = (RNG.uniform(0, 1, (N, 1)) < scores).astype(float)
    auc = metrics.AUC()
    auc.update_state(labels, scores)
    assert auc.result() == pytest.approx(_mann_whitney_auc(labels[:, 0], scores[:, 0]), abs=1e-12)


def test_every_registered_metric_is_covered():
    covered = {type(case[0]) for case in CASES.values()} | {metrics.Accuracy}
    assert {cls for cls in metrics.registry.classes() if cls.__module__.startswith("minikeras.")} <= covered


def test_weighted_updates():
    weights = np.linspace(0.0, 1.0, N)
    for ours, theirs, y_ours, y_keras, y_pred in (CASES["binary_accuracy"], CASES["precision"],
                                                  CASES["mean_absolute_error"], CASES["f1_score, macro, threshold"]):
        ours.reset_state()
        theirs.reset_state()
        ours.update_state(y_ours, y_pred, weights)
        theirs.update_state(y_keras.astype("float32"), y_pred.astype("float32"), weights.astype("float32"))
        np.testing.assert_allclose(ours.result(), keras.ops.convert_to_numpy(theirs.result()), rtol=1e-5, atol=1e-6)


def test_adjusted_r2_counts_samples_not_entries():
    r2, adjusted = metrics.R2Score(), metrics.R2Score(num_regressors=2)
    r2.update_state(REAL_TRUE, REAL_PRED)
    adjusted.update_state(REAL_TRUE, REAL_PRED)
    assert adjusted.result() == pytest.approx(1 - (1 - r2.result()) * (N - 1) / (N - 2 - 1))
