"""EventBridge's default bus, in memory: rules, event patterns, schedules, input transformation, and its API."""
