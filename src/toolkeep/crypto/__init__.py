"""Cryptographic building blocks: token format, peppered digests, sealing, passwords."""
