"""The whole API on a laptop: the service and the Lambda behind one origin that routes as
the ALB does, on an embedded DynamoDB when no AWS is configured."""
