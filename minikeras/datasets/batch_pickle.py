"""A reader for CIFAR-10 batch pickles that constructs nothing.

An official batch is a pickle of a dict of bytes (or str) keys to a uint8 array, lists of ints
and bytes. This module walks the pickle's opcodes itself, as a small stack machine that knows
only the opcodes such a file uses, and never calls anything the file names: numpy's array
reconstruction (``_reconstruct`` then BUILD with ``(version, shape, dtype, fortran, raw bytes)``)
is read as data, checked (a numeric dtype from a fixed table, a shape whose size matches the raw
bytes) and turned into an array by `numpy.frombuffer` over those bytes. The Python 3
protocol-2 encoding of bytes (``_codecs.encode(text, "latin1")``) is decoded the same way.

Anything else (another global, another call, an opcode that builds objects, a memo or object
count beyond what a batch needs) is refused with `BatchPickleError`, whose message never
quotes the file's content beyond a short, escaped name.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

MAX_OBJECTS = 500_000  # an official batch makes about 20,000 (10,000 labels, 10,000 file names)
MAX_NDIM = 8
_MULTIARRAY = ("numpy.core.multiarray", "numpy._core.multiarray")
_DTYPES = {code: np.dtype(code) for code in ("b1", "u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8")}


class BatchPickleError(ValueError):
    """The bytes are not a CIFAR-10 batch pickle this reader accepts."""


@dataclass(frozen=True)
class _Global:
    module: str
    name: str

    def __str__(self) -> str:
        return short(f"{self.module}.{self.name}")


_GLOBALS = {_Global(module, name) for module in _MULTIARRAY for name in ("_reconstruct", "scalar")} | {
    _Global("numpy", "dtype"), _Global("numpy", "ndarray"), _Global("_codecs", "encode")}


@dataclass
class _Dtype:
    dtype: np.dtype


@dataclass
class _PendingArray:
    """What ``_reconstruct(ndarray, (0,), b'b')`` returns: an array waiting for its BUILD state."""
    array: np.ndarray | None = None


def short(text: str, limit: int = 100) -> str:
    """`text` escaped and cut to `limit` characters, for error messages about untrusted bytes."""
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."


class _Reader:
    def __init__(self, raw: bytes):
        self.raw = memoryview(raw)
        self.position = 0
        self.stack: list = []
        self.marks: list[int] = []
        self.memo: dict[int, object] = {}
        self.objects = 0

    # -- bytes ---------------------------------------------------------------------------------
    def take(self, n: int) -> memoryview:
        end = self.position + n
        if n < 0 or end > len(self.raw):
            raise BatchPickleError("truncated: an opcode's data runs past the end of the file")
        piece = self.raw[self.position:end]
        self.position = end
        return piece

    def unpack(self, fmt: str):
        (value,) = struct.unpack(fmt, self.take(struct.calcsize(fmt)))
        return value

    def line(self) -> str:
        end = bytes(self.raw[self.position:self.position + 256]).find(b"\n")
        if end < 0:
            raise BatchPickleError("a GLOBAL name is not terminated within 256 bytes")
        return self.take(end + 1)[:-1].tobytes().decode("ascii", "replace")

    # -- the stack -----------------------------------------------------------------------------
    def push(self, value) -> None:
        self.objects += 1
        if self.objects > MAX_OBJECTS:
            raise BatchPickleError(f"more than {MAX_OBJECTS:,} objects; a CIFAR-10 batch has about 20,000")
        self.stack.append(value)

    def pop(self):
        if len(self.stack) <= (self.marks[-1] if self.marks else 0):
            raise BatchPickleError("an opcode found the stack empty")
        return self.stack.pop()

    def pop_mark(self) -> list:
        if not self.marks:
            raise BatchPickleError("an opcode needs a MARK that is missing")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self, kind: type, what: str):
        value = self.pop()
        if not isinstance(value, kind):
            raise BatchPickleError(f"{what} applied to a {type(value).__name__}")
        self.stack.append(value)
        return value

    def remember(self, key: int) -> None:
        if not self.stack:
            raise BatchPickleError("a memo opcode found the stack empty")
        if len(self.memo) >= MAX_OBJECTS:
            raise BatchPickleError(f"more than {MAX_OBJECTS:,} memo entries")
        self.memo[key] = self.stack[-1]

    def recall(self, key: int) -> None:
        if key not in self.memo:
            raise BatchPickleError(f"memo entry {key} is read before it is written")
        self.push(self.memo[key])


def _set_items(reader: _Reader, items: list) -> None:
    if len(items) % 2:
        raise BatchPickleError("SETITEMS with an odd number of items")
    target = reader.top(dict, "SETITEM")
    for key, value in zip(items[::2], items[1::2]):
        if not isinstance(key, (bytes, str)):
            raise BatchPickleError(f"a dict key is a {type(key).__name__}; a batch's keys are bytes or str")
        target[key] = value


def _reduce(function, args):
    """The value of ``function(*args)`` for the few calls a batch pickle makes, computed here."""
    if not isinstance(function, _Global) or not isinstance(args, tuple):
        raise BatchPickleError("REDUCE on something that is not a known global")
    key = (function.module, function.name)
    if key in {(module, "_reconstruct") for module in _MULTIARRAY}:
        if len(args) != 3 or args[0] != _Global("numpy", "ndarray") or args[1] != (0,):
            raise BatchPickleError("refusing _reconstruct with arguments numpy never writes")
        return _PendingArray()
    if key == ("numpy", "dtype"):
        if not args or not isinstance(args[0], str) or args[0] not in _DTYPES:
            raise BatchPickleError(f"a dtype other than the numeric ones {sorted(_DTYPES)}")
        return _Dtype(_DTYPES[args[0]])
    if key == ("_codecs", "encode"):
        if len(args) != 2 or not isinstance(args[0], str) or args[1] not in ("latin1", "latin-1"):
            raise BatchPickleError("_codecs.encode other than the latin-1 encoding of a text")
        try:
            return args[0].encode("latin-1")
        except UnicodeEncodeError:
            raise BatchPickleError("_codecs.encode of a text that is not latin-1") from None
    if key in {(module, "scalar") for module in _MULTIARRAY}:
        if len(args) != 2 or not isinstance(args[0], _Dtype) or not isinstance(args[1], bytes) \
                or len(args[1]) != args[0].dtype.itemsize:
            raise BatchPickleError("numpy's scalar with arguments numpy never writes")
        return np.frombuffer(args[1], args[0].dtype)[0].item()
    raise BatchPickleError(f"refusing to call {function}: a batch only rebuilds arrays and bytes")


def _build(target, state) -> None:
    """BUILD: a dtype's byte order, or a pending array's shape, dtype and bytes."""
    if isinstance(target, _Dtype):
        ok = (isinstance(state, tuple) and len(state) == 8 and state[1] in ("<", ">", "|", "=")
              and state[2:5] == (None, None, None))
        if not ok:
            raise BatchPickleError("a dtype state numpy never writes")
        if state[1] in "<>":
            target.dtype = target.dtype.newbyteorder(state[1])
        return
    if not isinstance(target, _PendingArray) or target.array is not None:
        raise BatchPickleError("BUILD on something that is not a new numpy array")
    if not (isinstance(state, tuple) and len(state) == 5 and isinstance(state[1], tuple)
            and isinstance(state[2], _Dtype) and isinstance(state[4], bytes)):
        raise BatchPickleError("an array state other than (version, shape, dtype, fortran, raw bytes)")
    shape, dtype, raw = state[1], state[2].dtype, state[4]
    if len(shape) > MAX_NDIM or not all(type(d) is int and d >= 0 for d in shape):
        raise BatchPickleError(f"an array shape that is not at most {MAX_NDIM} non-negative ints")
    if math.prod(shape) * dtype.itemsize != len(raw):
        raise BatchPickleError(f"an array of shape {shape[:MAX_NDIM]} and dtype {dtype} with {len(raw):,} bytes "
                               f"of data")
    target.array = np.frombuffer(raw, dtype).reshape(shape, order="F" if state[3] else "C")


def _push_global(reader: _Reader, module: str, name: str) -> None:
    found = _Global(module, name)
    if found not in _GLOBALS:
        raise BatchPickleError(f"refusing to load {found}: a CIFAR-10 batch names only numpy's array "
                               f"reconstruction and the latin-1 encoding of bytes")
    reader.push(found)


def _op_global(reader: _Reader) -> None:
    module = reader.line()
    _push_global(reader, module, reader.line())


def _op_stack_global(reader: _Reader) -> None:
    name, module = reader.pop(), reader.pop()
    if not isinstance(module, str) or not isinstance(name, str):
        raise BatchPickleError("STACK_GLOBAL with names that are not text")
    _push_global(reader, module, name)


def _op_reduce(reader: _Reader) -> None:
    args = reader.pop()
    reader.push(_reduce(reader.pop(), args))


def _op_build(reader: _Reader) -> None:
    state = reader.pop()
    _build(reader.top(object, "BUILD"), state)


def _op_append(reader: _Reader) -> None:
    value = reader.pop()
    reader.top(list, "APPEND").append(value)


def _op_appends(reader: _Reader) -> None:
    items = reader.pop_mark()
    reader.top(list, "APPENDS").extend(items)


def _op_setitem(reader: _Reader) -> None:
    value = reader.pop()
    key = reader.pop()
    _set_items(reader, [key, value])


def _tuple_of(n: int):
    def op(reader: _Reader) -> None:
        items = [reader.pop() for _ in range(n)][::-1]
        reader.push(tuple(items))
    return op


def _text(size_format: str, encoding: str | None):
    def op(reader: _Reader) -> None:
        data = reader.take(reader.unpack(size_format)).tobytes()
        try:
            reader.push(data if encoding is None else data.decode(encoding))
        except UnicodeDecodeError:
            raise BatchPickleError("a text that is not valid UTF-8") from None
    return op


def _number(size_format: str):
    return lambda reader: reader.push(reader.unpack(size_format))


def _long1(reader: _Reader) -> None:
    reader.push(int.from_bytes(reader.take(reader.unpack("<B")), "little", signed=True))


def _constant(value):
    return lambda reader: reader.push(value() if callable(value) else value)


def _memo_put(size_format: str):
    return lambda reader: reader.remember(reader.unpack(size_format))


def _memo_get(size_format: str):
    return lambda reader: reader.recall(reader.unpack(size_format))


def _skip(size_format: str):
    return lambda reader: reader.unpack(size_format)


_OPCODES = {
    b"\x80": _skip("<B"),                               # PROTO
    b"\x95": _skip("<Q"),                               # FRAME
    b"(": lambda reader: reader.marks.append(len(reader.stack)),  # MARK
    b"}": _constant(dict), b"]": _constant(list), b")": _constant(()),
    b"N": _constant(None), b"\x88": _constant(True), b"\x89": _constant(False),
    b"K": _number("<B"), b"M": _number("<H"), b"J": _number("<i"), b"\x8a": _long1,
    b"G": _number(">d"),                               # BINFLOAT
    b"U": _text("<B", None), b"T": _text("<I", None),   # Python 2 str, read as bytes (encoding="bytes")
    b"C": _text("<B", None), b"B": _text("<I", None), b"\x8e": _text("<Q", None),
    b"\x8c": _text("<B", "utf-8"), b"X": _text("<I", "utf-8"), b"\x8d": _text("<Q", "utf-8"),
    b"t": lambda reader: reader.push(tuple(reader.pop_mark())),
    b"\x85": _tuple_of(1), b"\x86": _tuple_of(2), b"\x87": _tuple_of(3),
    b"a": _op_append, b"e": _op_appends, b"s": _op_setitem,
    b"u": lambda reader: _set_items(reader, reader.pop_mark()),
    b"q": _memo_put("<B"), b"r": _memo_put("<I"),
    b"\x94": lambda reader: reader.remember(len(reader.memo)),  # MEMOIZE
    b"h": _memo_get("<B"), b"j": _memo_get("<I"),
    b"c": _op_global, b"\x93": _op_stack_global, b"R": _op_reduce, b"b": _op_build,
}


def _finished(value):
    """The loaded value with every array in place of its reconstruction marker."""
    if isinstance(value, _PendingArray):
        if value.array is None:
            raise BatchPickleError("an array was started but never given its data")
        return value.array
    if isinstance(value, (_Global, _Dtype)):
        raise BatchPickleError(f"a bare {type(value).__name__.strip('_').lower()} where a batch holds values")
    return value


def load(raw: bytes) -> object:
    """The object in the batch pickle `raw`: dicts, lists, tuples, bytes, str, numbers, arrays.

    Arrays one level inside a dict, list or tuple are finished; deeper containers are returned as
    they are (a batch nests no deeper)."""
    reader = _Reader(raw)
    while True:
        opcode = bytes(reader.take(1))
        if opcode == b".":
            break
        handler = _OPCODES.get(opcode)
        if handler is None:
            raise BatchPickleError(f"the opcode {opcode!r} at byte {reader.position - 1}; a CIFAR-10 batch uses "
                                   f"only numbers, text, bytes, lists, dicts and numpy arrays")
        try:
            handler(reader)
        except BatchPickleError:
            raise
        except (TypeError, ValueError, struct.error) as error:  # e.g. an unhashable memo value used as a key
            raise BatchPickleError(f"a malformed {opcode!r} at byte {reader.position} "
                                   f"({type(error).__name__})") from None
    if len(reader.stack) != 1 or reader.marks:
        raise BatchPickleError("STOP with other than one value on the stack")
    value = _finished(reader.stack[0])
    if isinstance(value, dict):
        return {key: _finished(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finished(item) for item in value]
    return value
