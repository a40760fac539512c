"""A binary classifier as Keras' guides write one: one sigmoid unit, labels of shape (N,)."""
import numpy as np

import minikeras as keras
from minikeras import layers

keras.utils.set_random_seed(1337)
rng = np.random.default_rng(1337)
x = rng.normal(size=(400, 8)).astype("float32")
y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype("int64")
x_train, y_train, x_val, y_val = x[:300], y[:300], x[300:], y[300:]

model = keras.Sequential([
    layers.Dense(16, activation="relu", input_shape=(8,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.Precision(), keras.metrics.Recall(), keras.metrics.AUC()])

untrained = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
history = model.fit(x_train, y_train, epochs=15, batch_size=32, validation_data=(x_val, y_val), verbose=0)
results = model.evaluate(x_val, y_val, verbose=0)
print(dict(zip(model.metrics_names, results)))
probabilities = model.predict(x_val, verbose=0)
