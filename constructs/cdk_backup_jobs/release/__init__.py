"""What is published for plain CloudFormation: the release template (``python -m
cdk_backup_jobs.release.template`` writes it and its SAM variant into ``provider_release/``), the SAM application,
and the reference tables of docs/cloudformation.md (``python -m cdk_backup_jobs.release.reference_tables``)."""
