"""Credentials shared by every front end: passwords, voice PINs, JWTs, API tokens, limits.

Modules: ``passwords`` and ``pins`` (argon2id hashing and policy), ``jwt`` (access and
refresh tokens with rotation), ``tokens`` (MCP HTTP bearer tokens), ``limits`` (counters
with a TTL, in process or in Redis) and ``secrets`` (the pepper and signing key).
"""

from __future__ import annotations

from convonet_mcp.auth.secrets import Secrets, SecretsError, load_secrets

__all__ = ["Secrets", "SecretsError", "load_secrets"]
