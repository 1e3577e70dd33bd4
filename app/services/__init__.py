"""Business rules, in plain functions that views, jobs and tests all call.

No module in this package imports Flask: a test checks it.
"""
