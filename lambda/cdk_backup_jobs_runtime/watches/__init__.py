"""Watches of waited jobs: a watch as data, its EventBridge rule, AWS Backup's state change events,
the wake-ups, and the signal that ends a watch.
"""
