"""The documentation site's generated tables and its examples: what renders each table from
its one source (the served OpenAPI document, ``Pulumi.yaml``, the stack's outputs) and what
finds the shell and Python examples on the pages, for the suite to run.

    python -m docsite            # rewrites every generated table of docs/ from its source
"""
