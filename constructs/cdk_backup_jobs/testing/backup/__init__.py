"""AWS Backup, emulated for on-demand jobs: its state and operations, its REST-JSON protocol and its endpoint.

Laid out as moto lays out a service: the behaviour (``emulator``, ``state``,
``jobs``, ``job_operations``, ``vaults``, ``recovery_points``), the wire
protocol (``protocol``, ``endpoint``) and AWS's errors (``errors``) apart.
"""
