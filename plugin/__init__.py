"""The picus package's provider (``__main__.py``).

A package only so that ``mypy .`` names its entry point ``plugin.__main__`` rather than a second
``__main__`` beside the stack's; the engine runs the folder, never imports it.
"""
