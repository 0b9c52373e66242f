"""The disposable-mail service of the postmortems, as one system among others.

Roles ``smtp``, ``api`` and ``proxy`` run the services of fixtures/mailstack
(the replica set they store into comes from systems.mongodb); probe kinds
``mail_delivery`` (a message through each SMTP server, counted in the
database) and ``mail_api`` (an inbox read, noting error pages' status link);
action ``block-ips`` (through the API, as the 2018 operators did); an API leg
sized to the run's flood (``saturation:``, systems.mailstack.calibration); invariants
``blocklist_propagation`` and ``error_pages_link_status``; and the report's
mail and blocklist charts.
"""

from systems.mailstack import block_ips, calibration, charts, invariants, probes, roles, spools

__all__ = ["block_ips", "calibration", "charts", "invariants", "probes", "roles", "spools"]
