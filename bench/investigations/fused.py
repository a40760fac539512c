"""How close to the floor can any implementation get? An experiment, not part of minikeras.

The CIFAR seed network's training step (3072-50-50-10, BatchNorm + ReLU, softmax cross-entropy,
L2, plain SGD) with everything but the matrix products and the gather compiled into fused loops:
BatchNorm + ReLU forward, ReLU + BatchNorm backward, softmax + cross-entropy, and SGD + L2 +
penalty each one loop over its arrays (numba, when installed: `pip install -e ".[bench]"`). A second
variant also folds the first layer's update into its weight-gradient product, one BLAS call
``kernel = (1 - 2 lr lambda) kernel - lr x.T @ delta`` through numpy's own OpenBLAS (skipped where
numpy links another BLAS). Without numba the loops run as plain Python: correct (the tests compare
them with the hand-written numpy network) but far too slow to time.

    python -m bench.investigations.fused [--repeats 9] [--samples 45000] [--batch-size 100]
"""
from __future__ import annotations

import ctypes
import math

import numpy as np
from threadpoolctl import threadpool_limits

from bench.cases import learning_rate, random_data
from bench.floor import MatmulFloor
from bench.handwritten import BN_EPSILON, BN_MOMENTUM, HandwrittenMLP
from bench.options import seed_net_experiment
from bench.timing import alternate, print_against_floor
from minikeras.backend import numpy_blas_function

try:
    from numba import njit
except ImportError:  # the loops stay plain Python
    def njit(*args, **kwargs):
        return args[0] if args and callable(args[0]) else (lambda function: function)


@njit(cache=True, fastmath=True)
def batchnorm_relu_forward(z, gamma, beta, moving, x_hat, inv_std, out):
    """Per column j of z (N, D): x_hat = (z - mean) / sqrt(var + eps), out = max(gamma x_hat + beta, 0)."""
    n, d = z.shape
    for j in range(d):
        mean = 0.0
        for i in range(n):
            mean += z[i, j]
        mean /= n
        var = 0.0
        for i in range(n):
            var += (z[i, j] - mean) ** 2
        var /= n
        inv_std[j] = 1.0 / math.sqrt(var + BN_EPSILON)
        for i in range(n):
            x_hat[i, j] = (z[i, j] - mean) * inv_std[j]
            out[i, j] = max(gamma[j] * x_hat[i, j] + beta[j], 0.0)
        moving[0, j] = BN_MOMENTUM * moving[0, j] + (1 - BN_MOMENTUM) * mean
        moving[1, j] = BN_MOMENTUM * moving[1, j] + (1 - BN_MOMENTUM) * var


@njit(cache=True, fastmath=True)
def relu_batchnorm_backward(g, out, x_hat, gamma, inv_std, d_gamma, d_beta, dz):
    """dz = gamma inv_std (g' - mean g' - x_hat mean(g' x_hat)), g' = g [out > 0]; d_gamma, d_beta."""
    n, d = g.shape
    for j in range(d):
        sum_g, sum_gx = 0.0, 0.0
        for i in range(n):
            gi = g[i, j] if out[i, j] > 0 else 0.0
            sum_g += gi
            sum_gx += gi * x_hat[i, j]
        d_beta[j], d_gamma[j] = sum_g, sum_gx
        scale = gamma[j] * inv_std[j] / n
        for i in range(n):
            gi = g[i, j] if out[i, j] > 0 else 0.0
            dz[i, j] = scale * (n * gi - sum_g - x_hat[i, j] * sum_gx)


@njit(cache=True, fastmath=True)
def softmax_cross_entropy(logits, bias, labels, delta):
    """Adds the bias to the logits, writes delta = (softmax - one_hot) / N; returns the mean loss."""
    n, c = logits.shape
    loss = 0.0
    for i in range(n):
        top = -np.inf
        for k in range(c):
            logits[i, k] += bias[k]
            top = max(top, logits[i, k])
        total = 0.0
        for k in range(c):
            delta[i, k] = math.exp(logits[i, k] - top)
            total += delta[i, k]
        loss += math.log(total) - (logits[i, labels[i]] - top)
        for k in range(c):
            delta[i, k] /= total * n
        delta[i, labels[i]] -= 1.0 / n
    return loss / n


@njit(cache=True, fastmath=True)
def sgd_step(param, grad, lr, decay):
    """param = (1 - lr decay) param - lr grad, in one pass; returns ||param||^2 before the step."""
    flat_param, flat_grad = param.ravel(), grad.ravel()
    squares = 0.0
    for i in range(flat_param.size):
        squares += flat_param[i] * flat_param[i]
        flat_param[i] = flat_param[i] * (1.0 - lr * decay) - lr * flat_grad[i]
    return squares


class FusedSeedNet(HandwrittenMLP):
    """`HandwrittenMLP` (BatchNorm, ReLU, plain SGD) with its elementwise work in the fused loops above."""

    def __init__(self, widths, batch_size, l2=0.005, seed=0, gemm_update=None):
        super().__init__(widths, batch_size, batch_norm=True, activation="relu", l2=l2, seed=seed)
        self.gemm_update = gemm_update  # kernel = beta kernel + alpha x.T @ delta, or None

    def step(self, x, labels, lr, stage="update"):
        """One whole training step (`stage` is ignored); returns the loss (data + penalty) before the update."""
        inputs, h = [], x
        for i, kernel in enumerate(self.kernels[:-1]):
            inputs.append(h)
            z = np.matmul(h, kernel, out=self.pre[i])  # the bias before BatchNorm cancels out
            batchnorm_relu_forward(z, self.gammas[i], self.betas[i], self.moving[i], self.normalized[i],
                                   self.inv_std[i], self.hidden[i])
            h = self.hidden[i]
        inputs.append(h)
        logits = np.matmul(h, self.kernels[-1], out=self.pre[-1])
        loss = softmax_cross_entropy(logits, self.biases[-1], labels, self.delta[-1])
        delta, squares = self.delta[-1], 0.0
        for i in reversed(range(len(self.kernels))):
            if i == 0 and self.gemm_update is not None:
                squares += float(np.dot(self.kernels[0].ravel(), self.kernels[0].ravel()))
                self.gemm_update(-lr, inputs[0], delta, 1.0 - 2 * self.l2 * lr, self.kernels[0])
                break
            np.matmul(inputs[i].T, delta, out=self.kernel_grads[i])
            if i == 0:
                break
            upstream = np.matmul(delta, self.kernels[i].T, out=self.delta[i - 1])
            relu_batchnorm_backward(upstream, self.hidden[i - 1], self.normalized[i - 1], self.gammas[i - 1],
                                    self.inv_std[i - 1], self.gamma_grads[i - 1], self.beta_grads[i - 1],
                                    self.delta[i - 1])
            delta = self.delta[i - 1]
        self.bias_grads[-1][...] = self.delta[-1].sum(axis=0)
        for i, (kernel, grad) in enumerate(zip(self.kernels, self.kernel_grads)):
            if i > 0 or self.gemm_update is None:
                squares += sgd_step(kernel, grad, lr, 2 * self.l2)
        for param, grad in zip(self.biases[-1:] + self.gammas + self.betas,
                               self.bias_grads[-1:] + self.gamma_grads + self.beta_grads):
            sgd_step(param, grad, lr, 0.0)
        return loss + self.l2 * squares


def numpy_openblas_gemm():
    """``gemm(alpha, a, b, beta, c)``: c = alpha a.T @ b + beta c for C-ordered float32 arrays, calling
    the BLAS numpy is linked with (`minikeras.blas`); None where that BLAS is not found."""
    int64, pointer, single = ctypes.c_int64, ctypes.c_void_p, ctypes.c_float
    sgemm = numpy_blas_function("sgemm", [ctypes.c_int, ctypes.c_int, ctypes.c_int, int64, int64, int64, single,
                                          pointer, int64, pointer, int64, single, pointer, int64])
    if sgemm is None:
        return None
    row_major, no_transpose, transpose = 101, 111, 112

    def gemm(alpha, a, b, beta, c):
        for array in (a, b, c):
            if array.dtype != np.float32 or not array.flags.c_contiguous:
                raise ValueError("gemm takes C-contiguous float32 arrays.")
        if a.shape[0] != b.shape[0] or c.shape != (a.shape[1], b.shape[1]):
            raise ValueError(f"gemm shapes do not fit: a {a.shape}, b {b.shape}, c {c.shape}.")
        k, m = a.shape
        n = b.shape[1]
        sgemm(row_major, transpose, no_transpose, m, n, k, alpha, a.ctypes.data, m, b.ctypes.data, n, beta,
              c.ctypes.data, n)

    return gemm


def main(argv=None):
    args, case = seed_net_experiment(argv, __doc__, repeats=9)
    x, y = random_data(case)
    floor = MatmulFloor(case.widths, case.batch_size)
    rate = learning_rate(case)  # the cyclical schedule of the bench's minikeras model
    contenders = {"floor": lambda: floor.epoch_seconds(x), "floor + gather": lambda: floor.epoch_seconds(x, True)}
    with threadpool_limits(limits=args.threads):
        gemm = numpy_openblas_gemm()
        nets = {"fused loops": FusedSeedNet(case.widths, case.batch_size)}
        if gemm is not None:
            nets["fused loops + update in the product"] = FusedSeedNet(case.widths, case.batch_size, gemm_update=gemm)
        else:
            print("numpy does not link its own OpenBLAS here: the update-in-the-product variant is skipped.")
        for name, net in nets.items():
            contenders[name] = (lambda net=net: net.epoch_seconds(x, y, rate))
        times = alternate(contenders, args.repeats)
    print(f"{case.name}, batch {case.batch_size}, {case.samples:,} samples, {args.threads} BLAS threads, "
          f"{args.repeats} alternating epochs")
    print_against_floor(times)
    return times


if __name__ == "__main__":
    main()
