"""People who sign in, and their personal access tokens for the REST API and CLI."""
