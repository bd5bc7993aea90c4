"""Server secrets: sealed at rest, write-only through every interface, redacted from logs."""
