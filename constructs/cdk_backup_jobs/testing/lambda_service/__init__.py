"""Lambda, simulated: a function's code run in reusable worker processes, and every invocation by cause.

Named ``lambda_service`` because ``lambda`` is a Python keyword.
"""
