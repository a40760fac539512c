from bench.investigations.blas_update import main
from minikeras.backend import blas


def test_compares_both_update_paths_on_a_bench_case(capsys):
    before = blas.status()
    ratio = main(["--case", "MNIST", "--samples", "1280", "--repeats", "2", "--min-size", "1024"])
    assert ratio > 0
    assert "median paired ratio blas / ufuncs" in capsys.readouterr().out
    assert blas.MIN_BLAS_SIZE == 1 << 16 and blas.status() == before  # the experiment's settings do not leak
