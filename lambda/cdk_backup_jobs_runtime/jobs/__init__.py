"""Jobs: what Create, Update and Delete do to AWS Backup, the pure decisions behind them, starting a
job, final backups, the resource types and their attributes, and a waited job's results.
"""
