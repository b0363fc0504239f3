"""StackSets and Organizations, simulated: StackSets across a simulated organization, in one process, each
stack instance deployed in its account and Region."""
