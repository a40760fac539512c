"""A CIFAR-10 convnet with augmentation, written as a Keras 3 script (only the import differs):
random horizontal flips and shifts of up to 10%, three blocks of two 3x3 convolutions (32, 64
and 128 filters) with batch normalization and ReLU, each block ending in 2x2 max pooling, then
dropout 0.3 and a softmax layer. Adam with cosine decay of the learning rate (1e-3 to 0) over
the run, batch 128, 10% of the 50,000 training images held out for validation.

    MINIKERAS_DATA=/path/to/data python examples/cifar10_convnet.py [--epochs 15] [--seed 0]

(`$MINIKERAS_DATA/cifar-10-python.tar.gz` is the official archive; without it, it is downloaded.)
`--samples N` trains on the first N images only (a quick check).
"""
from __future__ import annotations

import argparse
import math
import time

import minikeras as keras
from minikeras import layers


def convnet() -> keras.Sequential:
    blocks = []
    for filters in (32, 64, 128):
        for _ in range(2):
            blocks += [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(),
                       layers.ReLU()]
        blocks.append(layers.MaxPooling2D())
    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.RandomFlip("horizontal"),
        layers.RandomTranslation(0.1, 0.1),
        *blocks,
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ])


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=None)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255

    model = convnet()
    model.summary()
    steps = args.epochs * math.ceil(0.9 * len(x_train) / 128)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),
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
