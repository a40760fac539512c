from bench.investigations import floor


def test_floor_pass_comparison_runs(capsys):
    times = floor.main(["--repeats", "1", "--samples", "400"])
    assert len(times) == 5 and all(len(values) == 1 for values in times.values())
    out = capsys.readouterr().out
    assert "that pass alone, 4 times" in out
    assert "floor + gather + the pass" in out and "(1.00x)" in out  # the floor against itself
