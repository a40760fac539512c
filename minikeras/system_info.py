"""`show_config()`: the versions and numeric paths this process runs on (`minikeras info`)."""
from __future__ import annotations

import os
import platform

import numpy as np

from . import backend
from .version import __version__


def config_info() -> dict[str, str]:
    """What `show_config` prints, as ``{item: text}``."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    update = backend.blas_status()
    return {"minikeras": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "numpy's BLAS": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
            "threaded BLAS update": f"{'active' if update['active'] else 'off'}: {update['reason']}",
            "MINIKERAS_BLAS_UPDATE": os.environ.get("MINIKERAS_BLAS_UPDATE", "(unset)"),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)")}


def show_config(print_fn=print) -> None:
    """Print the minikeras, Python and numpy versions, numpy's BLAS and whether the optimizer
    update runs on its threads (``minikeras info`` prints the same).

    Examples
    --------
    >>> show_config(print_fn=lambda line: None)
    """
    info = config_info()
    width = max(map(len, info))
    for key, value in info.items():
        print_fn(f"{key:{width}s}  {value}")
