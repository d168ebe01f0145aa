"""Idempotency-Key for requests that create (draft-ietf-httpapi-idempotency-key-header)."""
