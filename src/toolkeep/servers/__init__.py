"""Hosted MCP servers: identity, endpoint and security mode."""
