import numpy as np
import pytest

import minikeras as mk
from minikeras import preprocessing
from tests.conftest import blobs


def test_standardize_uses_training_statistics_only():
    train = np.array([[0.0, 10.0], [2.0, 30.0], [4.0, 20.0]])
    test = np.array([[100.0, 20.0]])
    scaler = preprocessing.Standardize().fit(train)
    out = scaler.transform(train)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-6)
    np.testing.assert_allclose(scaler.transform(test), [[(100 - 2) / np.std([0, 2, 4]), 0.0]], rtol=1e-6)
    assert out.dtype == np.float32


def test_standardize_global_and_constant_columns():
    x = np.array([[1.0, 5.0], [1.0, 7.0]])
    np.testing.assert_allclose(preprocessing.Standardize().fit_transform(x)[:, 0], 0.0)
    out = preprocessing.Standardize(per="global").fit_transform(x)
    assert out.mean() == pytest.approx(0, abs=1e-6) and out.std() == pytest.approx(1, rel=1e-6)
    with pytest.raises(ValueError, match="fitted on samples of shape"):
        preprocessing.Standardize().fit(x).transform(np.ones((1, 3)))
    with pytest.raises(ValueError, match="before fit"):
        preprocessing.Standardize().transform(x)


def test_to_categorical():
    np.testing.assert_array_equal(preprocessing.to_categorical(np.array([[1], [0]]), 3), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        preprocessing.to_categorical([0, 2], 2)
    with pytest.raises(ValueError, match="integer class ids"):
        preprocessing.to_categorical([0.5])


def test_train_val_split_stratified():
    x, y = blobs(n=300)
    (x_tr, y_tr), (x_val, y_val) = preprocessing.train_val_split(x, y, 0.2, seed=1)
    assert len(x_tr) + len(x_val) == 300
    for label in range(3):
        assert np.sum(y_val == label) == round(0.2 * np.sum(y == label))
    rows = {tuple(row) for row in x_val}
    assert not any(tuple(row) in rows for row in x_tr)
    (_, _), (_, y_val_onehot) = preprocessing.train_val_split(x, np.eye(3)[y], 0.2, seed=1)
    np.testing.assert_array_equal(y_val_onehot.argmax(axis=1), y_val)


def test_flatten_images():
    images = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    flat = preprocessing.flatten_images(images, scale=1 / 255)
    assert flat.shape == (2, 48) and flat.dtype == np.float32
    assert flat[1, -1] == pytest.approx(95 / 255)


def _images(n=8, h=4, w=5, c=2):
    return np.arange(n * h * w * c, dtype=np.float32).reshape(n, h * w * c)


def test_flip_mirrors_left_right():
    batch = _images()
    original = batch.copy().reshape(8, 4, 5, 2)
    out = preprocessing.ImageAugmenter((4, 5, 2), flip=True)(batch, np.random.default_rng(0)).reshape(8, 4, 5, 2)
    flipped = [not np.array_equal(out[i], original[i]) for i in range(8)]
    assert any(flipped) and not all(flipped)
    for i in range(8):
        expected = original[i, :, ::-1] if flipped[i] else original[i]
        np.testing.assert_array_equal(out[i], expected)


def test_shift_moves_pixels_and_fills():
    batch = _images(n=200)
    original = batch.copy().reshape(200, 4, 5, 2)
    augmenter = preprocessing.ImageAugmenter((4, 5, 2), flip=False, max_shift=1, fill=-1.0)
    out = augmenter(batch, np.random.default_rng(0)).reshape(200, 4, 5, 2)
    for i in range(200):
        matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if np.array_equal(out[i], preprocessing._shifted(original[i:i + 1], dy, dx, -1.0)[0])]
        assert matches, i
    assert (out == -1).any()


def test_augmenter_is_seeded():
    a = preprocessing.ImageAugmenter((4, 5, 2), max_shift=1)(_images(), np.random.default_rng(3))
    b = preprocessing.ImageAugmenter((4, 5, 2), max_shift=1)(_images(), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_fit_with_augmentation_never_changes_the_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4 * 5 * 2)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    before = x.copy()
    model = mk.Model(input_dim=40, seed=0)
    model.add_layer(3, "softmax")
    model.compile(optimizer="sgd")
    seen = []
    augmenter = preprocessing.ImageAugmenter((4, 5, 2), flip=True, max_shift=1)

    def spy(batch, generator):
        seen.append(batch.copy())
        return augmenter(batch, generator)

    for shuffle in (True, False):
        model.fit(x, y, epochs=1, batch_size=16, shuffle=shuffle, augment=spy, verbose=0)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(np.concatenate(seen[4:]), x)  # the unshuffled epoch saw x in order


@pytest.mark.parametrize("kwargs", [{"image_shape": (4, 4)}, {"image_shape": (4, 4, 1), "max_shift": 4}])
def test_augmenter_arguments_checked(kwargs):
    with pytest.raises(ValueError):
        preprocessing.ImageAugmenter(**kwargs)
