"""Operator commands by domain, registered in ``app/cli.py``."""
