"""The numeric backend: the kernels that several parts share and the BLAS fast path.

It is not the only place numpy is called (a layer's own one-off arithmetic calls numpy directly);
it holds what is worth writing once and tuning once: the activations used by layers and fused
losses, the column sums of the backward passes, and the update ``y += alpha * x`` of optimizers
and regularizers. (`minikeras.ops` is kept for Keras' ``keras.ops`` names.)

`kernels` holds pure numpy functions in forward/backward pairs; `blas` the update
``y += alpha * x`` on numpy's own threaded BLAS (switchable with ``MINIKERAS_BLAS_UPDATE=0``;
`blas_status()` says whether it is active).
"""
from .blas import MIN_BLAS_SIZE, axpy, numpy_blas_function, ufuncs_only
from .blas import available as blas_available
from .blas import status as blas_status
from .kernels import (
                      column_sums,
                      erf,
                      leaky_relu,
                      leaky_relu_backward,
                      log_softmax,
                      log_softmax_backward,
                      relu,
                      relu_backward,
                      scaled_tanh,
                      scaled_tanh_backward,
                      shift_logits,
                      sigmoid,
                      sigmoid_backward,
                      softmax,
                      softmax_and_log_normalizer,
                      softmax_backward,
                      tanh,
                      tanh_backward,
)

__all__ = ["MIN_BLAS_SIZE", "axpy", "blas_available", "blas_status", "numpy_blas_function", "ufuncs_only",
           "column_sums", "erf", "leaky_relu", "log_softmax", "log_softmax_backward", "leaky_relu_backward", "relu",
           "relu_backward", "scaled_tanh",
           "scaled_tanh_backward", "shift_logits", "sigmoid", "sigmoid_backward", "softmax",
           "softmax_and_log_normalizer", "softmax_backward", "tanh", "tanh_backward"]
