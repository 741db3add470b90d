"""Reusable ComponentResources, one concept per module. None reads config: each takes typed values."""
