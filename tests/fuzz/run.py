"""Run the fuzz cases in this process under a memory limit:

    python -m tests.fuzz.run [--examples 2000] [--memory-mib 3072]

The test suite runs a short profile (tests/fuzz/test_fuzz.py); this command is the long one.
Exit status 0: every mutated file loaded or raised the project's own error, within the limit.
"""
import argparse
import os
import resource
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000, help="examples per fuzz case")
    parser.add_argument("--memory-mib", type=int, default=3072, help="address-space limit of this process")
    args = parser.parse_args(argv)
    limit = args.memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ["FUZZ_EXAMPLES"] = str(args.examples)
    import pytest

    here = os.path.dirname(os.path.abspath(__file__))
    return pytest.main(["-q", "-p", "no:cacheprovider", "-o", "addopts=", "--tb=short", "-W", "ignore",
                        os.path.join(here, "fuzz_cases.py")])


if __name__ == "__main__":
    sys.exit(main())
