"""The one AWS account and Region every simulated service stands in (AWS's documentation examples' account)."""

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
