"""The CloudFormation side: the custom-resource request, crhelper configured for production, the
response sent back, and what the provider reads of its own stack.
"""
