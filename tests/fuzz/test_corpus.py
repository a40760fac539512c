"""Every file of the hostile corpus (tests/fuzz/corpus, written by make_corpus.py) is refused with
the project's own error, and runs or writes nothing."""
import os
import pathlib

import pytest

from tests.fuzz import targets

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
KINDS = {".h5": "model", ".gz": "idx", ".pkl": "cifar", ".toml": "toml"}
FILES = sorted(CORPUS.iterdir())


def test_the_corpus_is_there():
    assert len(FILES) >= 20 and {KINDS[path.suffix] for path in FILES} == set(KINDS.values())


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_hostile_file_is_refused(path):
    kind = KINDS[path.suffix]
    with pytest.raises(targets.ALLOWED[kind]):
        targets.load(kind, path.read_bytes())
    assert not os.path.exists("/tmp/minikeras-pwned")
