"""The traffic log: one row per MCP request, written in batches off the request path."""
