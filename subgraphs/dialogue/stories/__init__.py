"""Test stories for a dialogue domain: format (format.py), runner (runner.py), figures (report.py).

`chorus test dialogue --stories PATH` runs them for the stack's dialogue application.
"""
