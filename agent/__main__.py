"""``python -m agent`` is ``dns-static-agent``."""

from agent.cli import main_entry

main_entry()
