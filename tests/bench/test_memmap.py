"""`python -m bench.memmap` runs end to end on a small file and reports what docs/performance.md
quotes: the epochs, shuffled and in order, their ratios and both peaks of resident memory."""
from bench import memmap


def test_the_memmap_bench_reports_times_ratio_and_peak_memory(capsys):
    result = memmap.main(["--rows", "3000", "--repeats", "1"])
    assert result["throughput_memmap_vs_memory"] == result["in_memory_epoch_s"] / result["memmap_epoch_s"]
    assert result["in_order_throughput_memmap_vs_memory"] == \
        result["in_order_in_memory_epoch_s"] / result["in_order_memmap_epoch_s"]
    # The in-memory run holds the 37 MB array; the memmap run reads a batch at a time.
    assert result["in_memory_peak_rss_mb"] > result["memmap_peak_rss_mb"] > 0
    assert '"memmap_peak_rss_mb"' in capsys.readouterr().out
