"""The benchmark networks written out by hand in numpy, and what each part of a step costs.

`HandwrittenMLP` is what a careful user writes without a framework: Dense (+ BatchNorm) +
activation blocks, softmax cross-entropy on the logits, L2 on the kernels, SGD (+ momentum),
every array preallocated and every call writing into it. It shares no code with minikeras.
Its step is built from stages that a run can stop after, each adding work to the one before:

    products  only the matrix products, on batch views (the floor of bench/floor.py)
    gather    + each shuffled batch gathered into a buffer
    forward   + bias, BatchNorm and activation in the forward pass
    loss      + the softmax cross-entropy gradient (before: a fixed output gradient)
    backward  + activation and BatchNorm backward, bias gradients, the L2 gradient
    update    + the SGD update: a whole training step

(`python -m bench.investigations.stages` times each stage against minikeras.)
"""
from __future__ import annotations

import time

import numpy as np

STAGES = ("products", "gather", "forward", "loss", "backward", "update")
BN_EPSILON, BN_MOMENTUM = 1e-5, 0.9


class HandwrittenMLP:
    """An MLP of the given widths (input first) trained with batches of `batch_size`, float32."""

    def __init__(self, widths, batch_size, batch_norm=True, activation="relu", l2=0.005, momentum=0.0, seed=0):
        if activation not in ("relu", "sigmoid"):
            raise ValueError(f"activation must be 'relu' or 'sigmoid'; got {activation!r}.")
        rng = np.random.default_rng(seed)
        self.batch_norm, self.activation, self.l2, self.momentum = batch_norm, activation, l2, momentum
        pairs = list(zip(widths[:-1], widths[1:]))
        self.kernels = [(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(np.float32) for a, b in pairs]
        self.biases = [np.zeros(b, np.float32) for b in widths[1:]]
        hidden = widths[1:-1]
        self.gammas = [np.ones(d, np.float32) for d in hidden]
        self.betas = [np.zeros(d, np.float32) for d in hidden]
        self.moving = [np.stack([np.zeros(d, np.float32), np.ones(d, np.float32)]) for d in hidden]
        self.kernel_grads = [np.empty_like(k) for k in self.kernels]
        self.bias_grads = [np.empty_like(b) for b in self.biases]
        self.gamma_grads = [np.empty_like(g) for g in self.gammas]
        self.beta_grads = [np.empty_like(b) for b in self.betas]
        self.params = self.kernels + self.biases + (self.gammas + self.betas if batch_norm else [])
        self.grads = self.kernel_grads + self.bias_grads + (self.gamma_grads + self.beta_grads if batch_norm else [])
        self.velocities = [np.zeros_like(p) for p in self.params] if momentum else None
        self.scratch = [np.empty_like(p) for p in self.params]
        self.pre = [np.empty((batch_size, d), np.float32) for d in widths[1:]]  # Dense outputs
        self.normalized = [np.empty((batch_size, d), np.float32) for d in hidden]  # x_hat
        self.inv_std = [np.empty(d, np.float32) for d in hidden]
        self.hidden = [np.empty((batch_size, d), np.float32) for d in hidden]  # activation outputs
        self.delta = [np.empty((batch_size, d), np.float32) for d in widths[1:]]
        self.fixed_delta = [rng.standard_normal((batch_size, d)).astype(np.float32) * 0.01 for d in widths[1:]]
        self.batch = np.empty((batch_size, widths[0]), np.float32)
        self.batch_size = batch_size

    def step(self, x, labels, lr, stage="update"):
        """One training step on the batch `x`, `labels` (class ids), doing the work up to `stage`."""
        level = STAGES.index(stage)
        inputs = self._forward(x, level)
        delta = self._output_delta(labels, level)
        self._backward(inputs, delta, level)
        if level >= STAGES.index("update"):
            self._update(lr)

    def _forward(self, x, level):
        inputs, h = [], x
        for i, kernel in enumerate(self.kernels):
            inputs.append(h)
            z = np.matmul(h, kernel, out=self.pre[i])
            if level < STAGES.index("forward"):
                h = z
                continue
            z += self.biases[i]
            if i < len(self.hidden):
                h = self._activate(self._normalize(z, i) if self.batch_norm else z, i)
        return inputs

    def _normalize(self, z, i):
        n = z.shape[0]
        mean = np.add.reduce(z, axis=0) / n
        x_hat = np.subtract(z, mean, out=self.normalized[i])
        var = np.einsum("ij,ij->j", x_hat, x_hat) / n
        inv_std = np.reciprocal(np.sqrt(var + BN_EPSILON), out=self.inv_std[i])
        x_hat *= inv_std
        self.moving[i] *= BN_MOMENTUM
        self.moving[i] += (1 - BN_MOMENTUM) * np.stack([mean, var])
        out = np.multiply(x_hat, self.gammas[i], out=self.hidden[i])
        out += self.betas[i]
        return out

    def _activate(self, z, i):
        out = self.hidden[i]
        if self.activation == "relu":
            return np.maximum(z, 0, out=out)
        np.multiply(z, 0.5, out=out)  # sigmoid(z) = (1 + tanh(z / 2)) / 2
        np.tanh(out, out=out)
        out += 1
        out *= 0.5
        return out

    def _output_delta(self, labels, level):
        if level < STAGES.index("loss"):
            return self.fixed_delta[-1]
        logits, probs = self.pre[-1], self.delta[-1]
        np.subtract(logits, np.maximum.reduce(logits, axis=1, keepdims=True), out=probs)
        np.exp(probs, out=probs)
        probs /= np.add.reduce(probs, axis=1, keepdims=True)
        probs[np.arange(probs.shape[0]), labels] -= 1
        probs *= 1.0 / probs.shape[0]
        return probs

    def _backward(self, inputs, delta, level):
        layers = len(self.kernels)
        elementwise = level >= STAGES.index("backward")
        for i in reversed(range(layers)):
            np.matmul(inputs[i].T, delta, out=self.kernel_grads[i])
            if elementwise:
                if self.l2:
                    self.kernel_grads[i] += np.multiply(self.kernels[i], 2 * self.l2, out=self.scratch[i])
                np.add.reduce(delta, axis=0, out=self.bias_grads[i])
            if i == 0:
                break
            upstream = np.matmul(delta, self.kernels[i].T, out=self.delta[i - 1])
            delta = self._hidden_delta(upstream, i - 1) if elementwise else self.fixed_delta[i - 1]

    def _hidden_delta(self, g, i):
        h = self.hidden[i]
        if self.activation == "relu":
            g *= h > 0
        else:
            g *= h * (1 - h)
        if not self.batch_norm:
            return g
        n, x_hat = g.shape[0], self.normalized[i]
        d_gamma = np.einsum("ij,ij->j", g, x_hat, out=self.gamma_grads[i])
        d_beta = np.add.reduce(g, axis=0, out=self.beta_grads[i])
        correction = x_hat * (d_gamma / n)
        correction += d_beta / n
        g -= correction
        g *= self.gammas[i] * self.inv_std[i]
        return g

    def _update(self, lr):
        for i, (param, grad, scratch) in enumerate(zip(self.params, self.grads, self.scratch)):
            step = np.multiply(grad, lr, out=scratch)
            if self.velocities is None:
                param -= step
            else:
                self.velocities[i] *= self.momentum
                self.velocities[i] -= step
                param += self.velocities[i]

    def epoch_seconds(self, x, labels, rate, stage="update", seed=0):
        """Time one epoch of `step` over x in shuffled batches (`rate(t)` gives the learning rate)."""
        order = np.random.default_rng(seed).permutation(x.shape[0])
        gather = STAGES.index(stage) >= STAGES.index("gather")
        size = self.batch_size
        start = time.perf_counter()
        for t, begin in enumerate(range(0, x.shape[0] - size + 1, size)):
            index = order[begin:begin + size]
            batch = np.take(x, index, axis=0, out=self.batch, mode="clip") if gather else x[begin:begin + size]
            self.step(batch, labels[index], rate(t), stage)
        return time.perf_counter() - start
