"""keras.io's "Simple MNIST convnet", with only the import line changed: two 3x3 convolutions
(32 and 64 filters, ReLU), each followed by 2x2 max pooling, dropout 0.5 and a softmax layer,
trained with Adam on the 60,000 MNIST training images (10% held out), batch 128, 15 epochs;
keras.io reports about 99% test accuracy.

    MINIKERAS_DATA=/path/to/data python examples/mnist_convnet.py [--epochs 15] [--seed 0]

(`$MINIKERAS_DATA/mnist/` holds the official IDX files; without them they are downloaded.)
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import minikeras as keras
from minikeras import layers


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    y_train, y_test = keras.utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_test, 10)

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=args.epochs, validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}  ({seconds / args.epochs:.1f} s per epoch, "
          f"{args.epochs} epochs)")
    return accuracy


if __name__ == "__main__":
    main()
