"""Transfer-learning moves from Keras' guides: get_layer, freeze a layer, model(x), weights lists."""
import numpy as np

import minikeras as keras
from minikeras import layers

rng = np.random.default_rng(3)
x = rng.normal(size=(200, 10)).astype("float32")
y = rng.integers(0, 3, size=(200,))

model = keras.Sequential(name="frozen_base")
model.add(keras.Input(shape=(10,)))
model.add(layers.Dense(32, activation="relu", name="base"))
model.add(layers.BatchNormalization())
model.add(layers.Dense(3, activation="softmax", name="head"))
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, verbose=0)

base = model.get_layer("base")
base.trainable = False
model.get_layer(index=1).trainable = False
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
frozen_before = [w.copy() for w in base.get_weights()]
bn_before = [w.copy() for w in model.layers[1].get_weights()]
head_before = [w.copy() for w in model.get_layer("head").get_weights()]
model.fit(x, y, epochs=2, batch_size=16, verbose=0)

direct = model(x[:5])
predicted = model.predict(x[:5], verbose=0)
counts = (len(model.weights), len(model.trainable_weights), len(model.non_trainable_weights), model.count_params())
model.summary()
