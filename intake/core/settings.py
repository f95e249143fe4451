"""Configuration: environment variables prefixed `INTAKE_` (nested keys joined by `__`) over an optional TOML file.

Precedence, highest first: init arguments, environment, the TOML file (`--config` / `INTAKE_CONFIG`, else
`./intake.toml` when present), defaults. Secrets are `SecretStr` so they never print by accident.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource
from sqlalchemy.engine import make_url

from intake.core.config_paths import file_relative_defaults, resolve_file_paths


class LimitsSettings(BaseModel):
    attachment_max_bytes: int = 10 * 1024 * 1024  # per file
    message_attachments_max_bytes: int = 25 * 1024 * 1024  # all attachments of one message
    raw_max_bytes: int = 40 * 1024 * 1024  # one raw email or payload kept at all
    webhook_body_max_bytes: int = 1024 * 1024
    json_max_depth: int = Field(default=64, ge=8, le=500)  # deeper webhook JSON is refused with 400 (and kept)
    address_header_max_chars: int = Field(default=16 * 1024, ge=1024)  # From/To/Cc read up to this much each
    new_tickets_per_sender_per_hour: int = 10
    auto_replies_per_recipient_per_day: int = 5


class PipelineSettings(BaseModel):
    max_attempts: int = 3  # processing starts before an item is quarantined
    claim_seconds: int = 300  # a worker's lease on an item; also the actor's time limit
    reconcile_after_seconds: int = 300  # a pending item untouched this long is re-sent to the broker
    reconcile_interval_seconds: int = 60
    batch_size: int = Field(
        default=10, ge=1, le=100
    )  # raw items stored together go to a worker in messages of this many
    conversation_window_hours: int = 24  # chat messages this close to the last one join its ticket
    reopen_resolved_on_reply: bool = True


class BrokerSettings(BaseModel):
    """Bounds on every Redis call, so a hung Redis costs a bounded wait, never a stalled process."""

    connect_timeout_seconds: float = Field(default=2.0, gt=0)
    socket_timeout_seconds: float = Field(default=5.0, gt=0)  # every command; fetches do not block in Redis
    enqueue_wait_seconds: float = Field(default=0.5, ge=0)  # a webhook reply waits this long for its enqueue at most
    # A worker process silent this long is dead: Redis gives the messages it held back to their queue (until then
    # they count as held and the reconciler leaves them be). Live processes refresh it about every second.
    dead_worker_seconds: float = Field(default=15.0, ge=5)
    # How many Redis commands in a million also look for dead workers' messages (Dramatiq's default is 1,000: an
    # idle service would take minutes to notice).
    maintenance_per_million: int = Field(default=20_000, ge=1, le=1_000_000)


class MailboxSettings(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w.@-]+$")  # in logs, state rows and raw sources
    host: str
    port: int = 993
    security: str = "ssl"  # ssl | starttls | none
    username: str
    password: SecretStr = SecretStr("")
    password_env: str | None = None  # name of an environment variable holding the password (wins over `password`)
    ca_file: Path | None = None  # trust this CA (PEM) instead of the system's, e.g. for a self-signed server
    folder: str = "INBOX"
    after_store: str = "seen"  # seen | move  (never delete: with `move`, servers without MOVE get COPY + \Seen)
    move_to: str | None = None
    poll_interval_seconds: int = 60
    use_idle: bool = True
    idle_timeout_seconds: int = Field(default=25 * 60, gt=0, le=29 * 60)  # RFC 2177: re-issue IDLE before 30 min
    batch_size: int = Field(default=50, gt=0, le=1000)  # messages fetched per round trip and stored per transaction
    timeout_seconds: float = 60  # socket timeout for connect and every command
    reconnect_max_seconds: float = 300  # cap of the exponential reconnect backoff

    @model_validator(mode="after")
    def _check_choices(self) -> MailboxSettings:
        if self.security not in {"ssl", "starttls", "none"}:
            raise ValueError(f"mailbox {self.name}: security must be ssl, starttls or none, not {self.security!r}")
        if self.after_store not in {"seen", "move"}:
            raise ValueError(f"mailbox {self.name}: after_store must be seen or move, not {self.after_store!r}")
        if self.after_store == "move" and not self.move_to:
            raise ValueError(
                f"mailbox {self.name}: after_store = move needs move_to (the folder to move stored mail to)"
            )
        return self

    def password_value(self) -> str:
        """The password: from the environment variable `password_env` when set, else `password`."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ValueError(f"mailbox {self.name}: environment variable {self.password_env} is not set")
            return value
        return self.password.get_secret_value()


class EmailSettings(BaseModel):
    mailboxes: list[MailboxSettings] = Field(default_factory=list)

    @field_validator("mailboxes")
    @classmethod
    def _unique_names(cls, mailboxes: list[MailboxSettings]) -> list[MailboxSettings]:
        names = [m.name for m in mailboxes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:  # the name keys the stored IMAP position: two mailboxes must never share it
            raise ValueError(f"mailbox names must be unique; repeated: {', '.join(duplicates)}")
        return mailboxes

    our_addresses: list[str] = Field(default_factory=lambda: ["maintenance@intake.example"])
    instance_marker: str = "intake"  # goes into our Message-IDs and X-Loop header
    from_address: str = "maintenance@intake.example"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    auto_acknowledge: bool = False  # answer each new emailed ticket with its reference (needs SMTP)
    smtp_max_attempts: int = Field(default=5, ge=1)  # sends tried before an outbound email is marked `failed`


class WhatsAppSettings(BaseModel):
    verify_token: SecretStr | None = None
    app_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    graph_base_url: str = "https://graph.facebook.com/v21.0"
    phone_number_id: str | None = None
    media_max_bytes: int = 16 * 1024 * 1024
    default_region: str = "US"  # for numbers written without a country code


class WahaSettings(BaseModel):
    hmac_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:3000"
    api_key: SecretStr | None = None
    session: str = "default"
    allow_unsigned: bool = False  # accept webhook deliveries without hmac_key (on purpose only: anyone can post)


class QContactSettings(BaseModel):
    base_url: str | None = None  # e.g. https://acme.qcontact.com/api/v2/
    uid: str | None = None
    access_token: SecretStr | None = None
    client: SecretStr | None = None
    webhook_secret: SecretStr | None = None  # our webhook: QContact sends it in `webhook_token_header` or ?token=
    webhook_token_header: str = "X-Intake-Token"
    email: str | None = None  # sign-in (POST auth/sign_in) when no uid/access_token/client are configured
    password: SecretStr | None = None
    api_key_header: str | None = None  # e.g. "X-Api-Key" for an API-key gateway in front of QContact
    api_key: SecretStr | None = None
    request_timeout_seconds: float = 30
    max_pages_per_poll: int = 20
    page_size: int = 50
    poll_interval_seconds: int = 120
    mapping_file: Path | None = None  # YAML field mapping; None: the documented default


class ClassificationSettings(BaseModel):
    review_threshold: float = 0.6  # a decision below this confidence sends the ticket to triage
    # a message is "about another topic" than a ticket it might follow up from this confidence on
    # (category or subcategory); 0.6-0.7 is a single weak cue (samples/threading.jsonl, see README)
    topic_change_threshold: float = 0.7


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    session_secret: SecretStr | None = None


# Settings nothing reads yet, kept for the features that will (outbound chat, the web app, work orders);
# `intake config show` says so, so nobody expects them to change anything today.
NOT_USED_YET = frozenset({"timezone", "whatsapp.phone_number_id", "waha.session", "web.session_secret"})


class Settings(BaseSettings):
    """Everything configurable. `intake config show` prints it with secrets masked."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", env_nested_delimiter="__", extra="ignore")

    database_url: str = "sqlite:///intake.db"
    redis_url: str | None = None  # None: in-process broker and worker (the zero-setup demo)
    redis_namespace: str = "intake"  # Dramatiq key prefix: several deployments can share one Redis
    data_dir: Path = Path("data")  # attachments (content-addressed) live under here
    rules_dir: Path = Path("rules")
    registry_file: Path | None = None
    timezone: str = "UTC"
    log_level: str = "INFO"

    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    whatsapp: WhatsAppSettings = Field(default_factory=WhatsAppSettings)
    waha: WahaSettings = Field(default_factory=WahaSettings)
    qcontact: QContactSettings = Field(default_factory=QContactSettings)
    classification: ClassificationSettings = Field(default_factory=ClassificationSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _config_file()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(FileRelativeTomlSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


class FileRelativeTomlSource(TomlConfigSettingsSource):
    """The TOML file, its relative paths (and relative defaults) taken from the file's folder: see config_paths."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path) -> None:
        self._model = settings_cls
        super().__init__(settings_cls, toml_file=toml_file)

    def _read_file(self, file_path: Path) -> dict[str, Any]:
        data = super()._read_file(file_path)
        base = Path(file_path).resolve().parent
        return file_relative_defaults(self._model, data, base) | resolve_file_paths(self._model, data, base)


def _config_file() -> Path | None:
    explicit = os.environ.get("INTAKE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"INTAKE_CONFIG names {path}, which does not exist")
        return path
    default = Path("intake.toml")
    return default if default.is_file() else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. Tests build their own `Settings(...)` instead."""
    return Settings()


def masked(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data, every secret replaced by '***' (or null when unset)."""

    def walk(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return "***" if value.get_secret_value() else None
        if isinstance(value, BaseModel):
            return {name: walk(getattr(value, name)) for name in type(value).model_fields}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, Path):
            return str(value)
        return value

    data = walk(settings)
    data["database_url"] = _mask_url_password(settings.database_url)
    if settings.redis_url:
        data["redis_url"] = _mask_url_password(settings.redis_url)
    return data


def _mask_url_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands (e.g. redis://): mask by hand
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            return f"{scheme}://{user}:***@{host}"
        return url
