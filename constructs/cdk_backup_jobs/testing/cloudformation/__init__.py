"""CloudFormation, simulated: stack operations, templates, intrinsics, resources, custom-resource requests,
WaitConditions, the response receiver and the API a provider calls (``service_endpoints``)."""
