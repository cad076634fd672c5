"""Root conftest: loads the ISSU runbook plugin (options, fixtures, ordering, hard stops)."""
pytest_plugins = ["issu.plugin"]
