"""Outage harness: replays outage postmortems against a containerised mail stack."""
