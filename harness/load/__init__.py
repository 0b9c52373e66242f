"""Load against the stack: the Locust flood replay (incident C) and its legitimate senders.

Host side: ``harness.load.flood.FloodRunner`` (start a flood, get a handle).
Worker side (inside containers, under Locust's gevent): ``locustfile.py`` and
the modules it imports, which use only the standard library and Locust. This
file imports nothing, so either side can import the package.
"""
