"""API clients authenticated as a staff member, with a DRF token (as other systems call the API)."""

from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def token_client(user: Any, *, language: str = "") -> APIClient:
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    client.credentials(**headers)
    return client
