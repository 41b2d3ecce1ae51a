"""Who complains and what they bought."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 currency code."))


def default_currency() -> str:
    """The configured DEFAULT_CURRENCY (a callable, so changing the setting needs no migration)."""
    return str(settings.DEFAULT_CURRENCY)


class Language(models.TextChoices):
    EN = "en", _("English")
    RU = "ru", _("Russian")


class Customer(models.Model):
    """A person or company that bought from us. The email (stored lower-case) identifies a repeat customer."""

    email = models.EmailField(_("email"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("preferred language"), max_length=8, choices=Language, default=Language.EN)
    # Key in the company's own CRM or billing system, for imports that upsert.
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="customer_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Product(models.Model):
    """Goods we sell, or a subscription service billed per period."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("Goods")
        SUBSCRIPTION = "subscription", _("Subscription service")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.GOODS)
    # For goods the price; for a subscription the fee for one month of service.
    price = models.DecimalField(
        _("price or monthly fee"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator], default=default_currency)
    warranty_days = models.PositiveIntegerField(_("warranty, days"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["goods", "subscription"]), name="product_kind_valid"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Purchase(models.Model):
    """One order of a product by a customer; for a subscription, the service period it paid for."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="purchases")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchases")
    order_number = models.CharField(_("order number"), max_length=64, unique=True)
    purchased_on = models.DateField(_("purchase date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator], default=default_currency)
    service_start = models.DateTimeField(_("service period start"), null=True, blank=True)
    service_end = models.DateTimeField(_("service period end"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="purchase_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(service_end__isnull=True)
                | Q(service_start__isnull=True)
                | Q(service_end__gte=models.F("service_start")),
                name="purchase_service_period_ordered",
            ),
        ]
        indexes = [
            # Incidents find the purchases of a product whose service period overlaps an outage window.
            models.Index(fields=["product", "service_start", "service_end"], name="purchase_service_window"),
            # Retention: did the customer buy again after a day, and when first.
            models.Index(fields=["customer", "purchased_on"], name="purchase_customer_day"),
        ]

    def __str__(self) -> str:
        return self.order_number
