"""StackSets and Organizations, simulated: StackSets across a simulated organization, each stack instance
deployed in a process of its own as its account and Region."""
