"""The API's contract: names, limits and rules shared by the service, the Lambda,
the local router, the infrastructure and the tests.

Standard library only: the Lambda's deployment archive carries this package beside
``delete_fn/``.
"""
