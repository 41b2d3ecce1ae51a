"""``python manage.py seed_bench --complaints N``: bulk benchmark data (see ``complaints.benchmarks.seeding``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from complaints.benchmarks.seeding import DEFAULT_BATCH, bench_seed


class Command(BaseCommand):
    help = "Bulk-load benchmark data: N complaints with customers, purchases and timelines (additive)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--complaints", type=int, required=True, help="How many complaints to add.")
        parser.add_argument(
            "--batch", type=int, default=DEFAULT_BATCH, help=f"Complaints per transaction (default {DEFAULT_BATCH})."
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed, for repeatable statuses, texts and times."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bench_seed(
            complaints=options["complaints"],
            batch=options["batch"],
            seed=options["seed"],
            log=lambda line: self.stdout.write(line),
        )
