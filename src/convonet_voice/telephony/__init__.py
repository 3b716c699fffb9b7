"""Twilio voice webhooks: PIN sign-in, the conversation, transfers to the PBX, call records."""
