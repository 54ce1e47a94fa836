"""Command-line programs: the terminal host and its session (docs/kinds/terminal.md)."""
