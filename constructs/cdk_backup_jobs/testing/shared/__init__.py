"""What the simulated services share: the account and Region they stand in, virtual time, and serving HTTP.

It imports no service package: every service may import it.
"""
