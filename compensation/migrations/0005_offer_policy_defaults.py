"""The default compensation policy, approval limits per role, and the managers' permission to approve offers."""

from decimal import Decimal

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

APPROVE = ["approve_offer"]

CLOUD_TIERS = [
    {"below_availability": "99.9", "credit_share": "10"},
    {"below_availability": "99", "credit_share": "25"},
    {"below_availability": "95", "credit_share": "100"},
]

# (name, product kind, category, priority, remedy type, extra fields)
DEFAULT_RULES = [
    ("Subscriptions: pro-rata credit for the downtime", "subscription", "", "", "service_credit", {}),
    (
        "Urgent outages: availability tiers (below 99.9 % 10 %, below 99 % 25 %, below 95 % the whole fee)",
        "subscription",
        "service_outage",
        "urgent",
        "service_credit_tiers",
        {"tiers": CLOUD_TIERS},
    ),
    (
        "Subscription billing mistakes: a 10 % voucher",
        "subscription",
        "billing",
        "",
        "voucher_percent",
        {"voucher_percent": Decimal(10), "voucher_expiry_days": 180},
    ),
    (
        "Goods: refund within 14 days, warranty replacement, then 50 % back",
        "goods",
        "",
        "",
        "goods",
        {"return_window_days": 14, "partial_refund_share": Decimal(50), "defect_remedy": "replacement"},
    ),
    (
        "Late deliveries: a 10 % voucher",
        "goods",
        "delivery",
        "",
        "voucher_percent",
        {"voucher_percent": Decimal(10), "voucher_expiry_days": 180},
    ),
]

# (group, currency: empty is any, max amount, max free days); empty limits are unlimited.
DEFAULT_LIMITS = [
    ("Support agents", "RUB", Decimal(2000), 30),
    ("Team leads", "RUB", Decimal(10000), 90),
    ("Managers", "", None, None),
]


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0)  # type: ignore[arg-type]
        app_config.models_module = None
    group = apps.get_model("auth", "Group")
    permission = apps.get_model("auth", "Permission")
    managers, _ = group.objects.get_or_create(name="Managers")
    managers.permissions.add(*permission.objects.filter(content_type__app_label="compensation", codename__in=APPROVE))
    rule = apps.get_model("compensation", "CompensationRule")
    for name, kind, category, priority, remedy_type, extra in DEFAULT_RULES:
        rule.objects.get_or_create(
            name=name,
            defaults={
                "product_kind": kind,
                "category": category,
                "priority": priority,
                "remedy_type": remedy_type,
                **extra,
            },
        )
    limit = apps.get_model("compensation", "ApprovalLimit")
    for group_name, currency, max_amount, max_days in DEFAULT_LIMITS:
        role, _ = group.objects.get_or_create(name=group_name)
        limit.objects.get_or_create(
            group=role, currency=currency, defaults={"max_amount": max_amount, "max_free_days": max_days}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0004_offer_lifecycle_and_policy"),
        ("complaints", "0016_offer_events"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
