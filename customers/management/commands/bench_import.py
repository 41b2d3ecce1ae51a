"""``python manage.py bench_import --purchases N``: time the purchases import on a "bench" database.

Builds, in memory, a CSV of N customers, one product and a CSV of N purchases (one per customer), imports the
customers and the product, then times ``purchases_import`` twice: the first run creates every purchase, the
second finds every row unchanged.
"""

import io
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from complaints.benchmarks.harness import _ensure_database
from customers.imports import parse_csv
from customers.services import customers_import, products_import, purchases_import


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    out.write(";".join(header) + "\n")
    for row in rows:
        out.write(";".join(row) + "\n")
    return ("\ufeff" + out.getvalue()).encode()


class Command(BaseCommand):
    help = "Time the purchases import (first run: all created; second: all unchanged) on a database named *bench*."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--purchases", type=int, default=100_000, help="Purchases (and customers) to import.")

    def handle(self, *args: Any, **options: Any) -> None:
        count = int(options["purchases"])
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://.../amends_import_bench.")
        name = str(settings.DATABASES["default"]["NAME"])
        if "bench" not in name:
            raise CommandError(f'Refusing to benchmark the database "{name}": its name must contain "bench".')
        if not 1 <= count <= 100_000:
            raise CommandError("--purchases must be between 1 and 100,000 (the import's limit per request).")
        self.stdout.write(f"Database: {_ensure_database()}")
        call_command("migrate", interactive=False, verbosity=0)
        tag = uuid.uuid4().hex[:8]
        customers_csv = _csv(
            ["external_id", "email", "name", "language"],
            [[f"{tag}-C{n}", f"{tag}-c{n}@example.com", f"Customer {n}", "en"] for n in range(count)],
        )
        product_code = f"bench-{tag}"
        products_import([{"code": product_code, "name": "Bench broadband", "kind": "subscription", "price": "499"}])
        purchases_csv = _csv(
            [
                "external_id",
                "order_number",
                "customer_external_id",
                "product_code",
                "purchased_on",
                "amount",
                "currency",
                "service_start",
                "service_end",
            ],
            [
                [
                    f"{tag}-P{n}",
                    f"{tag}-ORD-{n}",
                    f"{tag}-C{n}",
                    product_code,
                    "2026-03-01",
                    "499.00",
                    "RUB",
                    "2026-03-01T00:00:00+03:00",
                    "2026-04-01T00:00:00+03:00",
                ]
                for n in range(count)
            ],
        )
        self.stdout.write(f"Purchases CSV: {len(purchases_csv) / 1e6:.1f} MB, {count:,} rows")

        started = time.perf_counter()
        created = customers_import(parse_csv(customers_csv))
        seconds = time.perf_counter() - started
        self.stdout.write(f"customers, first import: {created.created:,} created in {seconds:.2f}s")

        for label in ("first import (all created)", "second import (all unchanged)"):
            started = time.perf_counter()
            result = purchases_import(parse_csv(purchases_csv))
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"purchases, {label}: created {result.created:,}, updated {result.updated:,}, "
                f"unchanged {result.unchanged:,}, errors {len(result.errors):,} in {seconds:.2f}s "
                f"= {count / seconds:,.0f} rows/s (CSV parsing included)"
            )
