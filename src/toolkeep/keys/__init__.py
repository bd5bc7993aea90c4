"""API keys: the credential that locks a server in API Key mode."""
