"""The single scheduler process and its jobs (see docs/architecture.md)."""
