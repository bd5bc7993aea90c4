"""Tests of sdk.http: the SSRF guard, redirects, limits and TLS."""
