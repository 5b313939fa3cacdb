"""The DELETE /picus/{key} Lambda, an ALB target. Needs nothing beyond the Lambda runtime."""
