"""Domain services: one module per domain, the only place with business rules.

Every public function takes a SQLAlchemy ``Session`` and the acting ``User`` first,
then keyword-only arguments; it flushes but never commits (the caller owns the
transaction) and raises the errors of ``convonet_mcp.errors``.
"""
