"""The systems this repository ships, each registering its kinds through the extension points.

``basic``: idle and echo nodes. ``mongodb``: replica-set members and arbiters,
the set's initiation, the ``mongo`` probe and the ``primary_outside``
invariant. ``mailstack``: the disposable-mail service of the postmortems. None
of them is known to the core; it finds them by walking this package.
"""
