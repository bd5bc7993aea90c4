"""Persistence: tables, the database handle, repositories' shared helpers, migrations."""
