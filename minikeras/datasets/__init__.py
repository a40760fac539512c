"""Datasets from their official files: `mnist`, `cifar10`, and the embedded `mnist_small`."""
from . import cifar10, mnist, mnist_small
from ._files import DatasetFormatError, DatasetNotFoundError, data_home

__all__ = ["mnist", "cifar10", "mnist_small", "data_home", "DatasetFormatError", "DatasetNotFoundError"]
