"""The short fuzz profile: the fuzz cases in a subprocess with a 3 GiB address-space limit
(the long profile: python -m tests.fuzz.run --examples 2000)."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_short_fuzz_profile_passes_within_the_memory_limit():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "tests.fuzz.run", "--examples", "30", "--memory-mib", "3072"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
