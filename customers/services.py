"""Writes for customers."""

from django.utils.translation import gettext_lazy as _

from config.exceptions import ApplicationError
from customers.models import Customer, Language

EMAIL_MAX_LENGTH = 254


def customer_normalize_email(email: str) -> str:
    return email.strip().lower()


def customer_get_or_create_by_email(*, email: str, name: str, phone: str = "", language: str = "") -> Customer:
    """The customer with this email, created on first contact. A repeat customer keeps their record; an empty
    phone on file is filled from the new contact, and the latest language choice is remembered."""
    email = customer_normalize_email(email)
    # Lower-casing can lengthen some letters (e.g. "İ"), so the limit is checked on the stored form.
    if len(email) > EMAIL_MAX_LENGTH:
        raise ApplicationError(_("This email address is too long."), extra={"field": "email"})
    lang = language if language in Language.values else Language.EN
    customer, created = Customer.objects.get_or_create(
        email=email, defaults={"name": name.strip(), "phone": phone.strip(), "language": lang}
    )
    if created:
        return customer
    changed: list[str] = []
    if phone.strip() and not customer.phone:
        customer.phone = phone.strip()
        changed.append("phone")
    if language in Language.values and customer.language != language:
        customer.language = language
        changed.append("language")
    if changed:
        customer.save(update_fields=changed)
    return customer
