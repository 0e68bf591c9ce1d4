"""Operator command groups, one module per domain; registered in app/cli.py."""
