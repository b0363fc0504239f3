"""The AWS side every concern shares: the botocore clients, the AWS Backup calls with the one
translation of botocore errors, the retries while a new IAM policy is not in effect, and AWS's clock read
from its answers.
"""
