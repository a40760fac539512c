# The scripts are run by test_scripts.py, with their data in place; importing them to look for
# doctests would run them without it.
collect_ignore = ["scripts"]
