"""The MCP edge: routing, API-key authentication as pure ASGI, sessions, usage bookkeeping.

Everything here runs before (or around) the protocol engine in ``toolkeep.mcp``.
"""
