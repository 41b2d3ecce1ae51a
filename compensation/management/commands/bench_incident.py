"""``python manage.py bench_incident --customers N``: see ``compensation.benchmarks``."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compensation.benchmarks import bench_incident, bench_incident_table


class Command(BaseCommand):
    help = (
        "Seed N customers with a subscription, declare a night outage, and time the affected set, the fan-out of "
        "apologies and credits, and the delivery of every letter to a local SMTP sink (with the sink's raw rate)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, required=True, help="Affected customers to seed.")
        parser.add_argument("--concurrency", type=int, default=2, help="Processes of the one Celery worker (2).")
        parser.add_argument("--raw-messages", type=int, default=1000, help="Messages in each raw smtplib loop.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds to wait for each phase.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = bench_incident(
            customers=options["customers"],
            concurrency=options["concurrency"],
            raw_messages=options["raw_messages"],
            timeout=options["timeout"],
            log=self.stdout.write,
        )
        self.stdout.write(bench_incident_table(result))
