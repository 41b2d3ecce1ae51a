"""The customer's private tracking link: a signed, random, unguessable token."""

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

from complaints.models import Complaint

_SALT = "amends.complaints.tracking"


def tracking_token(complaint: Complaint) -> str:
    return signing.Signer(salt=_SALT).sign(complaint.public_id.hex)


def public_id_from_token(token: str) -> uuid.UUID | None:
    """The complaint's public id, or None for a tampered or malformed token."""
    try:
        return uuid.UUID(hex=signing.Signer(salt=_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def tracking_path(complaint: Complaint) -> str:
    return reverse("complaints:track", kwargs={"token": tracking_token(complaint)})


def tracking_url(complaint: Complaint) -> str:
    return f"{settings.PUBLIC_BASE_URL}{tracking_path(complaint)}"


def staff_url(complaint: Complaint) -> str:
    """The complaint's page on the staff dashboard, as an absolute link for letters to staff."""
    return f"{settings.PUBLIC_BASE_URL}{reverse('dashboard:complaint', kwargs={'reference': complaint.reference})}"
