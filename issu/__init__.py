"""The ISSU engine: inventory, remote execution, journal, reporting, pytest plugin."""
