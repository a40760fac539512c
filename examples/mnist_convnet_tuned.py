"""A tuned MNIST convnet with augmentation, written as a Keras 3 script (only the import differs):
small random rotations (up to 10 degrees), zooms and shifts (up to 10%), two blocks of two 3x3
convolutions (32 then 64 filters) with batch normalization and ReLU, each block ending in 2x2 max
pooling, then a 128-unit layer, dropout 0.4 and a softmax layer. Adam with cosine decay of the
learning rate (2e-3 to 0), batch 128, 10% of the 60,000 training images held out for validation.

    MINIKERAS_DATA=/path/to/data python examples/mnist_convnet_tuned.py [--epochs 15] [--seed 0]

(`$MINIKERAS_DATA/mnist/` holds the official IDX files; without them they are downloaded.)
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

import minikeras as keras
from minikeras import layers


def convnet() -> keras.Sequential:
    blocks = []
    for filters in (32, 64):
        for _ in range(2):
            blocks += [layers.Conv2D(filters, 3, use_bias=False), layers.BatchNormalization(), layers.ReLU()]
        blocks.append(layers.MaxPooling2D())
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.RandomRotation(10 / 360, fill_mode="constant"),
        layers.RandomZoom(0.1, fill_mode="constant"),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        *blocks,
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(10, activation="softmax"),
    ])


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)

    model = convnet()
    model.summary()
    steps = args.epochs * math.ceil(0.9 * len(x_train) / 128)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=args.epochs, validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}  ({seconds / args.epochs:.1f} s per epoch, "
          f"{args.epochs} epochs)")
    return float(accuracy)


if __name__ == "__main__":
    main()
