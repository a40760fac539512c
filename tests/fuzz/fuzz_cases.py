"""The fuzz cases, run by `python -m tests.fuzz.run` in a subprocess with a memory limit (see
tests/fuzz/test_fuzz.py and docs/security.md); `FUZZ_EXAMPLES` sets the examples per case."""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import targets

VALID = {"model": targets.valid_model_bytes(), "graph": targets.valid_graph_bytes(),
         "keras_graph": targets.KERAS_GRAPH_CONFIG, "idx": targets.valid_idx_bytes(),
         "cifar": targets.valid_cifar_bytes(), "toml": targets.VALID_TOML.encode()}
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
                    deadline=int(os.environ.get("FUZZ_DEADLINE_MS", "10000")), derandomize=True,
                    suppress_health_check=list(HealthCheck), database=None, print_blob=False)


@st.composite
def mutations(draw, valid: bytes):
    """`valid` with a few byte spans overwritten, flipped, cut out or doubled, or truncated."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        start = draw(st.integers(0, len(data) - 1))
        length = draw(st.integers(1, 64))
        how = draw(st.sampled_from(["overwrite", "flip", "cut", "double", "truncate"]))
        if how == "overwrite":
            data[start:start + length] = draw(st.binary(min_size=1, max_size=length))
        elif how == "flip":
            data[start] ^= 1 << draw(st.integers(0, 7))
        elif how == "cut":
            del data[start:start + length]
        elif how == "double":
            data[start:start] = data[start:start + length]
        else:
            del data[start:]
    return bytes(data)


def _check(kind: str, data: bytes) -> None:
    try:
        targets.load(kind, data)
    except targets.ALLOWED[kind]:
        pass


@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_mutated_file_loads_or_raises_the_projects_error(kind):
    @SETTINGS
    @given(mutations(VALID[kind]))
    def run(data):
        _check(kind, data)

    run()


@pytest.mark.parametrize("kind", sorted(VALID))
def test_random_bytes_load_or_raise_the_projects_error(kind):
    @SETTINGS
    @given(st.binary(max_size=4096))
    def run(data):
        _check(kind, data)

    run()
