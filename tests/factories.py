"""factory_boy factories. Complaints are built through the services, the way customers make them."""

import importlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, cast

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from compensation.models import CompensationOffer, OfferKind, OfferStatus
from complaints.models import Category, Complaint
from complaints.permissions import AGENTS_GROUP, MANAGERS_GROUP, TEAM_LEADS_GROUP
from complaints.services import complaint_submit
from customers.models import Customer, Product, Purchase


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example.com")
    password = factory.django.Password("correct-horse-battery")


_roles = importlib.import_module("complaints.migrations.0002_roles_and_sla")
_leads = importlib.import_module("complaints.migrations.0009_team_leads")
_incidents = importlib.import_module("complaints.migrations.0014_incident_permissions")
_ROLE_SPECS = {
    AGENTS_GROUP: [_roles.AGENT_PERMISSIONS, {"compensation": _incidents.VIEW}],
    TEAM_LEADS_GROUP: [_roles.AGENT_PERMISSIONS, _leads.TEAM_LEAD_EXTRA, {"compensation": _incidents.MANAGE}],
    MANAGERS_GROUP: [
        _roles.AGENT_PERMISSIONS,
        _roles.MANAGER_EXTRA,
        _leads.MANAGER_EXTRA,
        {"compensation": _incidents.MANAGE},
    ],
}


def staff_group(name: str) -> Group:
    """The role's group, as the migrations create it. Transactional tests flush it away, so it is re-made here."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for spec in _ROLE_SPECS[name]:
            for app_label, codenames in spec.items():
                group.permissions.add(
                    *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
                )
    return group


def default_sla_policies() -> None:
    """The general promise per priority, as migration 0002 creates them (a transactional test's flush removes them)."""
    from complaints.models import SlaPolicy

    for priority, (first, resolution) in _roles.SLA_MINUTES.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            category="",
            product=None,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )


def agent(username: str = "agent", **kwargs: Any) -> Any:
    user = UserFactory(username=username, **kwargs)
    user.groups.add(staff_group(AGENTS_GROUP))
    return user


def team_lead(username: str = "lead", **kwargs: Any) -> Any:
    user = UserFactory(username=username, **kwargs)
    user.groups.add(staff_group(TEAM_LEADS_GROUP))
    return user


def manager(username: str = "manager", **kwargs: Any) -> Any:
    user = UserFactory(username=username, **kwargs)
    user.groups.add(staff_group(MANAGERS_GROUP))
    return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Faker("name")
    language = "en"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    kind = Product.Kind.GOODS
    price = Decimal("1990.00")
    currency = "RUB"
    warranty_days = 365


class PurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purchase

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    order_number = factory.Sequence(lambda n: f"ORD-{100000 + n}")
    purchased_on = factory.LazyFunction(date.today)
    amount = factory.LazyAttribute(lambda p: p.product.price)
    currency = "RUB"


# Closing the loop: what resolving, declining and closing ask for, for tests that walk a complaint through them.
CLOSING_ANSWERS: dict[str, dict[str, Any]] = {
    "resolve": {
        "outcome": "non_monetary",
        "root_cause": "product_defect",
        "corrective_action": "Replaced the kettle; the supplier checks the batch.",
    },
    "reject": {"root_cause": "no_fault"},
    "close": {"customer_accepted": True},
}


def closing_answers(action: str) -> dict[str, Any]:
    """The closing fields ``complaint_transition`` needs for ``action`` ({} for actions that need none)."""
    return dict(CLOSING_ANSWERS.get(str(action), {}))


def submit_complaint(**overrides: Any) -> Complaint:
    """A complaint as the public form makes it (through ``complaint_submit``)."""
    fields: dict[str, Any] = {
        "name": "Alice Example",
        "email": "alice@example.com",
        "category": Category.DEFECT,
        "description": "The kettle stopped working after two days.",
        "language": "en",
    }
    fields.update(overrides)
    return complaint_submit(**fields)


def assigned_complaint(
    *, assignee: Any, order_number: str = "ORD-1", amount: Decimal = Decimal("4990.00")
) -> Complaint:
    """Alice's complaint about her order ``order_number``, assigned to ``assignee``."""
    from complaints.services import complaint_assign

    customer = CustomerFactory(email="alice@example.com", name="Alice Example")
    PurchaseFactory(customer=customer, order_number=order_number, amount=amount)
    complaint = submit_complaint(order_number=order_number)
    complaint_assign(complaint=complaint, assignee=assignee, actor=assignee)
    return complaint


# --- Compensation policy and offer approvals (issue 6: offers) ---------------------------------------------------

_offer_defaults = importlib.import_module("compensation.migrations.0005_offer_policy_defaults")
_ROLE_SPECS[MANAGERS_GROUP].append({"compensation": _offer_defaults.APPROVE})


def compensation_defaults() -> None:
    """The approval limits per role and the default compensation rules the data migration creates (a
    transactional test's flush removes them)."""
    from compensation.models import ApprovalLimit, CompensationRule

    for group_name, currency, max_amount, max_days in _offer_defaults.DEFAULT_LIMITS:
        ApprovalLimit.objects.get_or_create(
            group=staff_group(group_name),
            currency=currency,
            defaults={"max_amount": max_amount, "max_free_days": max_days},
        )
    for name, kind, category, priority, remedy_type, extra in _offer_defaults.DEFAULT_RULES:
        CompensationRule.objects.get_or_create(
            name=name,
            defaults={
                "product_kind": kind,
                "category": category,
                "priority": priority,
                "remedy_type": remedy_type,
                **extra,
            },
        )


def subscription_purchase(
    *,
    customer: Any = None,
    fee: Decimal = Decimal("600.00"),
    start: Any = None,
    days: int = 30,
    **kwargs: Any,
) -> Purchase:
    """A subscriber's paid service period: ``fee`` for ``days`` from ``start``."""
    from datetime import timedelta

    from django.utils import timezone

    start = start or timezone.now() - timedelta(days=5)
    product = kwargs.pop("product", None) or ProductFactory(kind=Product.Kind.SUBSCRIPTION, price=fee, warranty_days=0)
    fields: dict[str, Any] = {
        "product": product,
        "amount": fee,
        "service_start": start,
        "service_end": start + timedelta(days=days),
    }
    if customer is not None:
        fields["customer"] = customer
    return cast(Purchase, PurchaseFactory(**fields, **kwargs))


# --- Incidents: subscriptions, outages, and the managers' right to apologise for them ---------------------------

_ROLE_SPECS[MANAGERS_GROUP].append(
    {"compensation": importlib.import_module("compensation.migrations.0007_incident_compensate_permission").COMPENSATE}
)


def subscription_product(code: str = "hosting", **kwargs: Any) -> Product:
    """A subscription service billed per period (a hosting plan)."""
    fields: dict[str, Any] = {"name": "Web hosting", "kind": Product.Kind.SUBSCRIPTION, "price": Decimal("720.00")}
    fields.update(kwargs)
    return cast(Product, ProductFactory(code=code, **fields))


def subscription(
    *,
    product: Any,
    service_start: Any,
    service_end: Any,
    customer: Any = None,
    amount: Decimal = Decimal("720.00"),
    **kwargs: Any,
) -> Purchase:
    """One paid service period of ``product`` (``service_end`` None: open-ended)."""
    extra: dict[str, Any] = {"customer": customer} if customer is not None else {}
    return cast(
        Purchase,
        PurchaseFactory(
            product=product,
            service_start=service_start,
            service_end=service_end,
            amount=amount,
            currency=product.currency,
            **extra,
            **kwargs,
        ),
    )


def declare_incident(*, actor: Any, products: list[Any], started_at: Any, ended_at: Any = None, **kwargs: Any) -> Any:
    """An incident as a team lead or manager declares it (through ``incident_declare``)."""
    from compensation.incidents.services import incident_declare

    fields: dict[str, Any] = {
        "title": "Storage array failure",
        "public_description": "A storage array failed; we moved every site to healthy hardware.",
        "severity": "critical",
    }
    fields.update(kwargs)
    return incident_declare(
        actor=actor, product_ids=[p.pk for p in products], started_at=started_at, ended_at=ended_at, **fields
    )


# --- Webhooks: managers subscribe other systems to events ---------------------------------------------------------

_ROLE_SPECS[MANAGERS_GROUP].append(
    {"notifications": importlib.import_module("notifications.migrations.0008_webhook_permissions").MANAGE}
)


def webhook_subscriber(*, url: str, events: list[str] | None = None, **kwargs: Any) -> Any:
    """A subscriber as a manager adds it (through ``webhook_subscriber_create``)."""
    from notifications.webhooks.services import webhook_subscriber_create

    actor = kwargs.pop("actor", None) or manager("webhook-admin")
    fields: dict[str, Any] = {"name": "Billing system"}
    fields.update(kwargs)
    return webhook_subscriber_create(actor=actor, url=url, events=events or [], **fields)


# --- Reports ------------------------------------------------------------------------------------------------------

# The period of the reports' tests: March 2026 (31 days, so grouped by day).
REPORT_PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def complaints_received_at(
    when: Any, count: int, *, category: str = Category.DEFECT, tag: str = "c"
) -> list[Complaint]:
    """``count`` complaints submitted at ``when`` (each from its own customer)."""
    import time_machine

    with time_machine.travel(when, tick=False):
        return [
            submit_complaint(email=f"{tag}{index}-{when:%m%d%H%M}@example.com", category=category)
            for index in range(count)
        ]


def assert_bounded_queries(fetch_received: Callable[[], int], *, limit: int, assert_max_num_queries: Any) -> None:
    """``fetch_received`` (a page or API call returning the number of complaints it shows for March 2026) runs at
    most ``limit`` queries with 5 and with 50 complaints received in the month."""
    from datetime import UTC, datetime

    total = 0
    for batch, count in enumerate((5, 45)):
        complaints_received_at(datetime(2026, 3, 12 + batch, 10, tzinfo=UTC), count, tag=f"b{batch}-")
        total += count
        with assert_max_num_queries(limit):
            received = fetch_received()
        assert received == total


def volume_history() -> list[Complaint]:
    """In March 2026: 3 faulty products on the 10th, 2 deliveries on the 20th; 1 more in February, outside it."""
    from datetime import UTC, datetime

    return [
        *complaints_received_at(datetime(2026, 3, 10, 9, tzinfo=UTC), 3, category=Category.DEFECT, tag="defect"),
        *complaints_received_at(datetime(2026, 3, 20, 15, tzinfo=UTC), 2, category=Category.DELIVERY, tag="delivery"),
        *complaints_received_at(datetime(2026, 2, 15, 12, tzinfo=UTC), 1, category=Category.DEFECT, tag="early"),
    ]


# --- Managers add customers through the API --------------------------------------------------------------------

_ROLE_SPECS[MANAGERS_GROUP].append(
    {"customers": importlib.import_module("customers.migrations.0002_managers_add_customers").ADD_CUSTOMER}
)


def fulfilled_voucher(complaint: Any, *, decided_at: Any, amount: str = "100.00") -> CompensationOffer:
    """A voucher the customer accepted and was given, as the reports count compensation."""
    return CompensationOffer.objects.create(
        complaint=complaint,
        kind=OfferKind.VOUCHER,
        amount=Decimal(amount),
        currency="RUB",
        status=OfferStatus.FULFILLED,
        offered_at=decided_at,
        decided_at=decided_at,
    )
