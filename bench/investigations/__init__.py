"""Investigations: experiments that explain the suite's numbers (python -m bench.investigations.NAME)."""
