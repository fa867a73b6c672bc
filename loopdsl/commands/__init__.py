"""One module per CLI command; each defines ``register(subparsers)``.

A command that was called wrongly raises :class:`UsageError`; :func:`loopdsl.cli.main`
prints it and exits 2.
"""


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""
