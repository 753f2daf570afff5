"""Gmail credentials come only from the environment: a refresh token, or a delegated service account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from shared.channels.gmail_api import SCOPES, NotConfigured, credentials
from shared.config import Settings

BASE = {"database_url": "postgresql://x", "kafka_bootstrap_servers": "x:9092"}


def test_an_oauth_client_and_refresh_token_make_user_credentials() -> None:
    settings = Settings(
        **BASE,
        gmail_address="support@northwind.example",
        gmail_client_id="id.apps.googleusercontent.com",
        gmail_client_secret="secret",
        gmail_refresh_token="1//refresh",
        google_token_uri="http://127.0.0.1:1/token",
    )

    made = credentials(settings)

    assert isinstance(made, user_credentials.Credentials)
    assert (made.refresh_token, made.token_uri) == ("1//refresh", "http://127.0.0.1:1/token")
    assert made.scopes == SCOPES


def test_a_service_account_key_acts_as_the_support_address(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key_file = tmp_path / "sa.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": "fte@project.iam.gserviceaccount.com",
                "private_key": pem,
                "private_key_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    settings = Settings(
        **BASE, gmail_address="support@northwind.example", gmail_service_account_file=str(key_file)
    )

    made = credentials(settings)

    assert isinstance(made, service_account.Credentials)
    assert made._subject == "support@northwind.example"
    assert made._scopes == SCOPES


def test_no_credentials_is_a_clear_error() -> None:
    with pytest.raises(NotConfigured, match="GMAIL_REFRESH_TOKEN"):
        credentials(Settings(**BASE, gmail_address="support@northwind.example"))
