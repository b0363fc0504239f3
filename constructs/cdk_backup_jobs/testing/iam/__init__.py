"""IAM, simulated for the account: each function's role and policies, judged as IAM judges them."""
