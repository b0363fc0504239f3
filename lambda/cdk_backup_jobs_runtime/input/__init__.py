"""The input rules: the shapes of the API calls and custom resources, every violation named by member,
CloudFormation's strings read back into types, and how violations are reported. Run at synth by the
construct library too (stdlib only).
"""
