"""Toolkeep: self-hosted MCP servers locked with API keys."""

__version__ = "0.1.0"
