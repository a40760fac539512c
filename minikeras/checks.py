"""Argument checks shared by the public API, with one wording for their errors."""
from __future__ import annotations

import math
import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def is_int(value, minimum: int | None = None) -> bool:
    """Whether `value` is an integer (Python or numpy, not bool), of at least `minimum` if given."""
    return bool(not isinstance(value, bool) and isinstance(value, (int, np.integer))
                and (minimum is None or value >= minimum))


def check_int(name: str, value, minimum: int) -> int:
    """`value` as an int; ValueError "<name> must be a positive/non-negative integer; got ..." otherwise."""
    if not is_int(value, minimum):
        kind = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be a {kind} integer; got {value!r}.")
    return int(value)


def check_positive(name: str, value, kind=float, allow_zero: bool = False, optional: bool = False):
    """`value` as `kind` (None stays None when `optional`); ValueError unless it is a finite number > 0
    (>= 0 with `allow_zero`), and a whole one for ``kind=int``."""
    if optional and value is None:
        return None
    bad_kind = isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
    if bad_kind or not math.isfinite(value) or not (value >= 0 if allow_zero else value > 0) \
            or (kind is int and value != int(value)):
        adjective = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {adjective} {kind.__name__}{' or None' if optional else ''}; "
                         f"got {value!r}.")
    return kind(value)


def shown(value, limit: int = 80) -> str:
    """``repr(value)`` cut to `limit` characters, for messages about what a user or a file gave."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def printable(text: str) -> str:
    """`text` with its control characters (escape sequences, newlines) written as escapes, so that
    text from a file cannot drive the terminal it is printed on."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def check_name(name, what: str) -> str:
    """`name` if it is a non-empty string without ``/`` or control characters (as Keras, which
    refuses ``/``: names become paths in files); ValueError naming `what` otherwise."""
    if not isinstance(name, str) or not name or "/" in name or not name.isprintable():
        raise ValueError(f"{what} name must be a non-empty string without '/' or control characters; got "
                         f"{shown(name)}.")
    return name


def check_verbose(verbose, auto: int) -> int:
    """Keras' verbose: ``"auto"`` (-> `auto`), 0 (silent), 1 (progress bar) or 2 (one line)."""
    if verbose == "auto":
        return auto
    if isinstance(verbose, bool) or verbose in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got {verbose!r}.")


class NonFiniteError(ValueError):
    """Data holding NaN or inf where a finite number is needed (`check_finite`)."""


def check_finite(x: np.ndarray, what: str = "x", rows: int | np.ndarray | None = None) -> None:
    """`NonFiniteError` naming the first non-finite entry (row, then position in the row) of float
    `x`: a whole array, or rows of one, numbered in the whole by `rows` (the number of the first of
    consecutive rows, or one number a row).

    One pass: the sum of a float array is finite exactly when every entry is, unless the sum of
    large finite values overflows; only then, or when it is not, are the entries tested one by one.
    Large arrays are summed in two halves on two threads (numpy releases the GIL): the pass is
    bound by memory bandwidth, which one core does not saturate.
    """
    if x.dtype.kind != "f" or x.size == 0:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(_sum(x.reshape(-1))):
            return
    bad = np.argwhere(~np.isfinite(x))
    if bad.size:
        row, *position = (int(i) for i in bad[0])
        place = tuple(position) if len(position) > 1 else position[0] if position else None
        if rows is None:
            number, among = row, "all"
        elif isinstance(rows, int):
            number, among = rows + row, f"rows {rows} to {rows + len(x) - 1}"
        else:
            number, among = int(rows[row]), f"a batch of {len(x)} rows"
        where = f"row {number}" + (f", position {place}" if position else "")
        raise NonFiniteError(f"{what} holds {x[tuple(bad[0])]} at {where} ({len(bad)} non-finite "
                             f"value{'s' if len(bad) > 1 else ''} in {among}): remove or replace NaN and inf before "
                             f"training.")


def non_finite_names(named_arrays) -> list[str]:
    """Names, in order, of the float arrays of ``(name, array)`` pairs that hold NaN or inf."""
    return [name for name, array in named_arrays if array.dtype.kind == "f" and not np.all(np.isfinite(array))]


PARALLEL_SUM_BYTES = 1 << 24  # below 16 MiB one thread is as fast as two


def _sum(flat: np.ndarray):
    if flat.nbytes < PARALLEL_SUM_BYTES or (os.cpu_count() or 1) < 2:
        return np.add.reduce(flat)
    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(np.add.reduce, np.array_split(flat, 2)))


def snake_case(name: str) -> str:
    """Keras' layer-name stem of a class name: ``Dense -> dense``, ``BatchNormalization ->
    batch_normalization``, ``ReLU -> re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
