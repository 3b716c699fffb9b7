"""Settings of the voice app: everything in ``convonet_mcp`` plus vendors, budgets and telephony."""

from __future__ import annotations

from pydantic import Field, SecretStr

from convonet_mcp.settings import Settings


class VoiceSettings(Settings):
    """Configuration of ``convonet_voice``; every field maps to ``CONVONET_<NAME>``."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None, description="Public base URL Twilio calls (used to check signatures)."
    )
    max_body_bytes: int = 64 * 1024
    login_attempts_per_ip: int = 20
    login_window_seconds: int = 300

    # LLM: without a key the offline command grammar answers.
    anthropic_api_key: SecretStr | None = None
    anthropic_model: str = "claude-sonnet-5-5"
    anthropic_base_url: str | None = None
    mcp_url: str | None = Field(default=None, description="Reach the MCP server over HTTP.")
    mcp_token: SecretStr | None = None
    mcp_servers_file: str | None = Field(
        default=None, description="Standard mcpServers JSON of extra MCP servers to mount."
    )

    # Budgets, in seconds.
    tool_timeout: float = 8.0
    turn_timeout: float = 10.0
    webhook_timeout: float = 12.0

    # Speech.
    deepgram_api_key: SecretStr | None = None
    deepgram_url: str = "wss://api.deepgram.com"
    twilio_voice: str = "Polly.Amy"

    # Telephony.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_api_base: str | None = Field(default=None, description="Override for tests.")
    pbx_sip_domain: str | None = None
    pbx_sip_transport: str = "udp"
    pbx_sip_username: str | None = None
    pbx_sip_password: SecretStr | None = None
    pbx_caller_id: str | None = None
    record_transcripts: bool = False

    sentry_dsn: SecretStr | None = None
