"""Operator commands by domain, registered in ``app.cli.init_app``."""
