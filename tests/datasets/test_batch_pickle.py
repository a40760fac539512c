"""The CIFAR-10 batch pickle reader: official layouts load, hostile pickles are refused without
calling, allocating or echoing what they name."""
from __future__ import annotations

import codecs
import pickle
import subprocess
import sys

import numpy as np
import pytest

from minikeras.datasets import batch_pickle
from minikeras.datasets.batch_pickle import BatchPickleError


def official_batch(n: int = 3) -> dict:
    rng = np.random.default_rng(0)
    return {b"batch_label": b"training batch 1 of 5", b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(n)]}


@pytest.mark.parametrize("protocol", [2, 3, 4])
def test_official_layouts_load_as_pickle_does(protocol):
    batch = official_batch()
    loaded = batch_pickle.load(pickle.dumps(batch, protocol=protocol))
    assert loaded.keys() == batch.keys()
    np.testing.assert_array_equal(loaded[b"data"], batch[b"data"])
    assert loaded[b"labels"] == batch[b"labels"] and loaded[b"filenames"] == batch[b"filenames"]


def test_fortran_order_and_big_endian_arrays():
    array = np.asfortranarray(np.arange(12, dtype=">i4").reshape(3, 4))
    loaded = batch_pickle.load(pickle.dumps({b"a": array}, protocol=2))[b"a"]
    np.testing.assert_array_equal(loaded, array)


def _run_isolated(raw: bytes) -> subprocess.CompletedProcess:
    """Load `raw` in a child process: a crash there shows as a signal, not as a dead test run."""
    code = ("import sys; from minikeras.datasets import cifar10\n"
            "try:\n    cifar10.unpickle_batch(sys.stdin.buffer.read(), 'data_batch_1')\n"
            "except cifar10.DatasetFormatError as e:\n    print('refused:', e)\n")
    return subprocess.run([sys.executable, "-c", code], input=raw, capture_output=True, timeout=60)


def test_a_void_dtype_given_object_fields_is_refused_without_a_crash():
    # numpy pickles this dtype as dtype('V8') plus a BUILD state that gives it an object field:
    # built for real, reading it dereferences 8 bytes of the file as a pointer.
    raw = pickle.dumps({b"data": np.dtype([("a", "O")]), b"labels": []}, protocol=2)
    result = _run_isolated(raw)
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout.decode() and "numeric" in result.stdout.decode()


class _Encoded:
    def __init__(self, encoding):
        self.encoding = encoding

    def __reduce__(self):
        return codecs.encode, ("abc", self.encoding)


@pytest.mark.parametrize("encoding", ["hex_codec", "punycode", "utf-16"])
def test_codecs_other_than_latin1_are_refused(encoding):
    with pytest.raises(BatchPickleError, match="latin-1"):
        batch_pickle.load(pickle.dumps({b"x": _Encoded(encoding)}, protocol=2))


def test_messages_never_echo_the_file():
    shared = [[0] * 1000] * 1000
    raw = pickle.dumps({b"labels": shared, b"data": pickle.loads}, protocol=2)
    with pytest.raises(BatchPickleError) as info:
        batch_pickle.load(raw)
    assert len(str(info.value)) < 200
    long_name = pickle.dumps(pickle.loads, protocol=2).replace(b"_pickle", b"x" * 200)
    with pytest.raises(BatchPickleError) as info:
        batch_pickle.load(long_name)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("raw, message", [
    (b"\x80\x02" + b"N" * (batch_pickle.MAX_OBJECTS + 1), "objects"),
    (b"\x80\x02}q\x01", "truncated"),
    (b"\x80\x02h\x05.", "read before it is written"),
    (b"\x80\x02\x8b\x04\x00\x00\x00\x01.", "opcode"),          # LONG4
    (b"\x80\x05\x96\x08\x00\x00\x00\x00\x00\x00\x00", "opcode"),   # BYTEARRAY8 (protocol 5 buffers)
    (b"\x80\x02(.", "STOP"),
    (b"\x80\x02}(K\x01K\x02u.", "dict key"),
])
def test_malformed_streams(raw, message):
    with pytest.raises(BatchPickleError, match=message):
        batch_pickle.load(raw)


def test_array_size_must_match_its_bytes():
    raw = pickle.dumps(np.zeros((2, 3), np.uint8), protocol=2).replace(b"K\x02K\x03", b"K\x02K\x04")
    with pytest.raises(BatchPickleError, match="with 6 bytes of data"):
        batch_pickle.load(raw)


def test_a_text_beyond_latin1_given_to_codecs_encode_is_refused():
    # Found by the fuzzer: a mutated file whose latin-1 text holds a code point above 255.
    raw = pickle.dumps({b"x": b"\xff"}, protocol=2).replace(b"X\x02\x00\x00\x00\xc3\xbf", b"X\x02\x00\x00\x00\xc6\x80")
    with pytest.raises(BatchPickleError, match="not latin-1"):
        batch_pickle.load(raw)
