"""The ``toolkeep`` command line: acts on the local database through the same services as the
REST API, so the same rules apply and the same audit rows are written."""
