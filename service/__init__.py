"""The Starlette service behind the ALB: put, get, list and health."""
