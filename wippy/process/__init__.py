"""Wippy's process model: processes, mailboxes, links, monitors, names (docs/process-model.md)."""
