"""WeCom: the encrypted callback, chat commands and the outbox dispatcher (see docs/architecture.md)."""
