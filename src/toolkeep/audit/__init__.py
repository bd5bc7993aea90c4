"""The append-only audit trail of security-relevant events."""
