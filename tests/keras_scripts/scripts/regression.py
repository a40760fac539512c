"""Regression as in Keras' guides: float targets of shape (N,), one linear unit, MAE."""
import numpy as np

import minikeras as keras
from minikeras import layers

rng = np.random.default_rng(7)
x = rng.uniform(-1, 1, size=(500, 4)).astype("float32")
y = (3.0 * x[:, 0] - 2.0 * x[:, 1] ** 2 + x[:, 2] * x[:, 3] + 1.0).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mae", metrics=["mse", "mae"])
history = model.fit(x, y, epochs=20, batch_size=32, validation_split=0.2, verbose=0)
test_mae = model.evaluate(x, y, verbose=0)
predictions = model.predict(x, verbose=0)
