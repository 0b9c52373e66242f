"""The container runtime: the Docker engine, image profiles and their builds."""
