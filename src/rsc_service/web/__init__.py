"""HTTP plumbing shared by every feature: dependencies, middleware, health and metrics routes."""
