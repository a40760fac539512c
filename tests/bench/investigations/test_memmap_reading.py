"""The memmap reading investigation runs every variant it reports, each in its own process."""
from bench.investigations import memmap_reading


def test_every_variant_runs_and_is_reported():
    result = memmap_reading.main(["--rows", "2000", "--turns", "1", "--threads", "1"])
    assert sorted(result) == sorted(f"{how}, {where}, 1 BLAS" for how in memmap_reading.READINGS
                                    for where in ("page cache", "disk"))
    assert all(seconds > 0 for seconds in result.values())
