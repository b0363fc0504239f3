"""The provider's code: what Custom::BackupJob and Custom::CopyJob requests do to AWS Backup.

It runs in Lambda (``index.handler`` beside this package) and its input rules
also run at synth in the construct library, imported under this one name in
both places. Stdlib-only apart from crhelper and botocore, which only the
handler side imports.
"""
