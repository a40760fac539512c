# fuzz_cases.py runs through run.py (in a subprocess with a memory limit), not directly, and run.py
# is a command: neither is collected here. test_fuzz.py is.
collect_ignore = ["fuzz_cases.py", "run.py"]
