"""Pulumi ComponentResources, one per module, composed by ``__main__.py``."""
