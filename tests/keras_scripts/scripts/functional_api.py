"""Keras' guide "The Functional API" (keras.io/guides/functional_api), the parts made of Dense and
merge layers, with only the import line changed (and 2 epochs, reshape(-1, ...) for any data size)."""
import numpy as np

import minikeras as keras
from minikeras import layers

# -- The first functional model, trained on MNIST -------------------------------------------------
inputs = keras.Input(shape=(784,))
print(inputs.shape, inputs.dtype)
dense = layers.Dense(64, activation="relu")
x = dense(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
model.summary()
keras.utils.plot_model(model, "my_first_model.png")
keras.utils.plot_model(model, "my_first_model_with_shape_info.png", show_shapes=True)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255

model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2)
test_scores = model.evaluate(x_test, y_test, verbose=2)
print("Test loss:", test_scores[0])
print("Test accuracy:", test_scores[1])

# -- Save and serialize ---------------------------------------------------------------------------
model.save("my_model.keras")
del model
model = keras.models.load_model("my_model.keras")
reloaded_scores = model.evaluate(x_test, y_test, verbose=0)

# -- All models are callable, just like layers: an ensemble ---------------------------------------


def get_model():
    inputs = keras.Input(shape=(128,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


model1 = get_model()
model2 = get_model()
model3 = get_model()
inputs = keras.Input(shape=(128,))
y1 = model1(inputs)
y2 = model2(inputs)
y3 = model3(inputs)
outputs = layers.average([y1, y2, y3])
ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
ensemble_inputs = np.random.default_rng(0).random((4, 128)).astype("float32")
ensemble_outputs = ensemble_model.predict(ensemble_inputs, verbose=0)

# -- Models with multiple inputs and outputs (the guide's ticket model, with Dense encoders) --------
num_tags = 12
num_words = 100
num_departments = 4

title_input = keras.Input(shape=(num_words,), name="title")
body_input = keras.Input(shape=(num_words,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")
title_features = layers.Dense(64, activation="relu")(title_input)
body_features = layers.Dense(32, activation="relu")(body_input)
x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)
ticket_model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)
ticket_model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)
rng = np.random.default_rng(1)
title_data = rng.integers(0, 2, size=(128, num_words)).astype("float32")
body_data = rng.integers(0, 2, size=(128, num_words)).astype("float32")
tags_data = rng.integers(0, 2, size=(128, num_tags)).astype("float32")
priority_targets = rng.random(size=(128, 1))
dept_targets = rng.integers(0, 2, size=(128, num_departments)).astype("float32")
ticket_history = ticket_model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=2,
    batch_size=32,
    verbose=0,
)

# -- A toy residual network (Dense blocks) --------------------------------------------------------
inputs = keras.Input(shape=(32,), name="features")
x = layers.Dense(32, activation="relu")(inputs)
block_1_output = layers.Dense(16, activation="relu")(x)
x = layers.Dense(16, activation="relu")(block_1_output)
x = layers.Dense(16, activation="relu")(x)
block_2_output = layers.add([x, block_1_output])
x = layers.Dense(16, activation="relu")(block_2_output)
x = layers.Dense(16, activation="relu")(x)
block_3_output = layers.add([x, block_2_output])
x = layers.Dense(32, activation="relu")(block_3_output)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)
toy_resnet = keras.Model(inputs, outputs, name="toy_resnet")
toy_resnet.summary()

# -- Shared layers, and extracting and reusing nodes ----------------------------------------------
shared_dense = layers.Dense(16, activation="tanh")
text_input_a = keras.Input(shape=(8,), dtype="float32")
text_input_b = keras.Input(shape=(8,), dtype="float32")
encoded_input_a = shared_dense(text_input_a)
encoded_input_b = shared_dense(text_input_b)

features_list = [layer.output for layer in toy_resnet.layers]
feat_extraction_model = keras.Model(inputs=toy_resnet.input, outputs=features_list)
features = feat_extraction_model(np.random.default_rng(2).random((3, 32)).astype("float32"))
