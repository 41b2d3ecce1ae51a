"""Full-text search for the staff queue: fill ``search_document`` for existing complaints, then index it.

The 'simple' configuration (lower-casing, no stemming) treats English and Russian text alike; the queue
matches word prefixes, so "чайн" finds "чайника" and "kett" finds "kettle".
"""

import datetime

import django.db.models.functions.comparison
from django.db import migrations, models

BATCH = 5000

FILL_SQL = """
UPDATE complaints_complaint AS c
   SET search_document = lower(c.reference || ' ' || cu.name || ' ' || cu.email || ' ' || c.description)
  FROM customers_customer AS cu
 WHERE cu.id = c.customer_id AND c.search_document = ''
"""


# The same expression Django compiles SearchVector("search_document", config="simple") to, so the queue's
# search uses it. PostgreSQL only: the embedded SQLite mode searches with a plain substring match.
SEARCH_INDEX_SQL = (
    'CREATE INDEX IF NOT EXISTS "complaint_search" ON "complaints_complaint" '
    "USING gin ((to_tsvector('simple'::regconfig, COALESCE(\"search_document\", ''))))"
)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX_SQL)


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "complaint_search"')


def fill_search_documents(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # One statement: on a million rows far faster than batches through Python.
        schema_editor.execute(FILL_SQL)
        return
    Complaint = apps.get_model("complaints", "Complaint")
    pending = Complaint.objects.filter(search_document="").select_related("customer").order_by("pk")
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:BATCH])
        if not batch:
            break
        for complaint in batch:
            customer = complaint.customer
            complaint.search_document = (
                f"{complaint.reference} {customer.name} {customer.email} {complaint.description}".lower()
            )
        Complaint.objects.bulk_update(batch, ["search_document"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0004_staff_queue'),
        ('customers', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(fill_search_documents, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_search_index, drop_search_index),
        # The tab counts (index-only scan) and the "due soonest" / "priority" keyset orders of the queue.
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('status__in', ['new', 'in_progress', 'awaiting_customer'])), fields=['status', 'assignee', 'first_responded_at', 'first_response_due', 'resolution_due'], name='complaint_open_sla'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(django.db.models.functions.comparison.Coalesce(models.Case(models.When(first_responded_at__isnull=True, first_response_due__isnull=False, then=models.F('first_response_due')), default=models.F('resolution_due')), models.Value(datetime.datetime(9999, 1, 1, 0, 0, tzinfo=datetime.timezone.utc))), models.F('id'), condition=models.Q(('status__in', ['new', 'in_progress', 'awaiting_customer'])), name='complaint_open_due_order'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(models.Case(models.When(priority='urgent', then=models.Value(0)), models.When(priority='high', then=models.Value(1)), models.When(priority='normal', then=models.Value(2)), models.When(priority='low', then=models.Value(3)), default=models.Value(4), output_field=models.IntegerField()), models.OrderBy(models.F('received_at'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('status__in', ['new', 'in_progress', 'awaiting_customer'])), name='complaint_open_priority_order'),
        ),
    ]
