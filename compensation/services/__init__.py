"""Writes for compensation: the offer lifecycle (see ``offers``)."""

from compensation.services.offers import (
    offer_approve,
    offer_decide,
    offer_fulfil,
    offer_propose,
    offer_reject,
    offer_suggest,
    offer_withdraw,
    offer_within_limit,
    offers_expire,
)

__all__ = [
    "offer_approve",
    "offer_decide",
    "offer_fulfil",
    "offer_propose",
    "offer_reject",
    "offer_suggest",
    "offer_withdraw",
    "offer_within_limit",
    "offers_expire",
]
