"""What an installation starts with, and where admins change it: the seeded rules and limits, the managers'
permission to approve, the admin pages, and the hourly expiry beat."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from compensation.models import ApprovalLimit, CompensationOffer, CompensationRule, OfferStatus
from compensation.services import offer_propose
from compensation.tasks import offers_expire_task
from complaints.permissions import AGENTS_GROUP, MANAGERS_GROUP, TEAM_LEADS_GROUP
from tests.factories import submit_complaint

pytestmark = pytest.mark.django_db


def test_the_seeded_limits_per_role():
    limits = {
        (row.group.name, row.currency): (row.max_amount, row.max_free_days)
        for row in ApprovalLimit.objects.select_related("group")
    }
    assert limits == {
        (AGENTS_GROUP, "RUB"): (Decimal("2000.00"), 30),
        (TEAM_LEADS_GROUP, "RUB"): (Decimal("10000.00"), 90),
        (MANAGERS_GROUP, ""): (None, None),
    }


def test_only_managers_may_approve_offers(agent_bob, lead_tess, manager_carol):
    assert Group.objects.get(name=MANAGERS_GROUP).permissions.filter(codename="approve_offer").exists()
    assert [user.has_perm("compensation.approve_offer") for user in (agent_bob, lead_tess, manager_carol)] == [
        False,
        False,
        True,
    ]


def test_every_seeded_rule_is_valid():
    rules = list(CompensationRule.objects.all())
    assert len(rules) == 5
    for rule in rules:
        rule.full_clean()


@pytest.mark.parametrize("path", ["compensationrule", "approvallimit", "compensationoffer"])
def test_the_admin_lists_and_filters(admin_client, path, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client.get(f"/admin/compensation/{path}/")
    assert response.status_code == 200
    assert 'id="changelist-filter"' in response.content.decode()


def test_the_admin_refuses_malformed_tiers(admin_client):
    response = admin_client.post(
        "/admin/compensation/compensationrule/add/",
        {
            "name": "Broken tiers",
            "is_active": "on",
            "product_kind": "subscription",
            "remedy_type": "service_credit_tiers",
            "multiplier": "1",
            "minimum": "0",
            "tiers": '[{"below_availability": "abc"}]',
            "return_window_days": "14",
            "defect_remedy": "replacement",
            "partial_refund_share": "50",
            "voucher_expiry_days": "180",
        },
    )
    assert response.status_code == 200
    assert "Write the tiers as a list" in response.content.decode()
    assert not CompensationRule.objects.filter(name="Broken tiers").exists()


def test_the_hourly_beat_expires_offers(manager_carol):
    assert settings.CELERY_BEAT_SCHEDULE["offers-expire"]["task"] == "compensation.tasks.offers_expire_task"
    complaint = submit_complaint()
    offer = offer_propose(complaint=complaint, actor=manager_carol, kind="voucher", amount=Decimal(100), reason="x")
    CompensationOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert offers_expire_task.delay().get() == 1

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
