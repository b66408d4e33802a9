"""research 0001-0003 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import coproduce.platform.clock
import coproduce.research.models


class Migration(migrations.Migration):
    replaces = [
        ("research", "0001_studies_participants_consent_randomisation"),
        ("research", "0002_outcomes_exports_data_quality"),
        ("research", "0003_advisory_panel_and_incentives_ledger"),
    ]

    initial = True

    dependencies = [
        ("checkins", "0001_squashed_0007_checkinresponse_language"),
        ("people", "0001_squashed_0011_patient_updated_at_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Material",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("description", "Study description"),
                            ("website", "Website"),
                            ("logo", "Logo"),
                            ("education", "Education material"),
                            ("instrument", "Instrument"),
                        ],
                        max_length=12,
                    ),
                ),
                ("title", models.CharField(max_length=200, verbose_name="title")),
            ],
            options={
                "ordering": ["study", "kind", "title"],
            },
        ),
        migrations.CreateModel(
            name="Panel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("time_zone", models.CharField(default="UTC", max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="ConsentDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "signer",
                    models.CharField(
                        choices=[
                            ("adult", "Participant (adult)"),
                            ("parent", "Parent or guardian (permission)"),
                            ("assent", "Young participant (assent)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("version", models.CharField(max_length=20)),
                ("approved_on", models.DateField(help_text="ethics approval date")),
                ("title", models.CharField(max_length=200)),
                (
                    "body",
                    models.TextField(help_text="plain language; blank lines separate paragraphs"),
                ),
                (
                    "reconsent_required",
                    models.BooleanField(
                        default=False,
                        help_text="participants who signed an earlier version must sign again",
                    ),
                ),
                ("signed_off_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "signed_off_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["study", "signer", "approved_on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="MaterialVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.CharField(max_length=20, verbose_name="version")),
                (
                    "content",
                    models.TextField(help_text="the text the panel reads", verbose_name="content"),
                ),
                ("changes", models.TextField(blank=True, verbose_name="what changed")),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "material",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="research.material",
                    ),
                ),
            ],
            options={
                "ordering": ["material", "created_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("material", "version"), name="material_version_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="IncentiveRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("per_survey", "Per completed survey"),
                            ("membership_year", "Per year of panel membership"),
                        ],
                        max_length=16,
                    ),
                ),
                ("amount_cents", models.PositiveIntegerField()),
                ("currency", models.CharField(default="USD", max_length=3)),
                (
                    "yearly_cap",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="at most this many entries per calendar year (blank: no cap)",
                        null=True,
                    ),
                ),
                (
                    "panel",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rules",
                        to="research.panel",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PanelMember",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("display_name", models.CharField(max_length=200, verbose_name="name")),
                ("email", models.EmailField(max_length=254, verbose_name="e-mail")),
                ("region", models.CharField(blank=True, max_length=100, verbose_name="region")),
                (
                    "age_group",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("18-29", "18 to 29"),
                            ("30-49", "30 to 49"),
                            ("50-64", "50 to 64"),
                            ("65+", "65 and over"),
                            ("", "Prefer not to say"),
                        ],
                        max_length=8,
                        verbose_name="age group",
                    ),
                ),
                ("gender", models.CharField(blank=True, max_length=60, verbose_name="gender")),
                (
                    "ethnicity",
                    models.CharField(blank=True, max_length=100, verbose_name="ethnicity"),
                ),
                ("joined_on", models.DateField(verbose_name="joined on")),
                ("left_on", models.DateField(blank=True, null=True, verbose_name="left on")),
                (
                    "panel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="members",
                        to="research.panel",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="panel_member",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["panel", "display_name"],
            },
        ),
        migrations.CreateModel(
            name="PanelSurvey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("questions", models.JSONField(default=list)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "panel",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="surveys",
                        to="research.panel",
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="surveys",
                        to="research.materialversion",
                    ),
                ),
            ],
            options={
                "ordering": ["panel", "created_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Participant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("screened", "Screened eligible"),
                            ("approached", "Approached"),
                            ("declined", "Declined"),
                            ("ineligible", "Not eligible"),
                            ("consented", "Consented"),
                            ("randomised", "Randomised"),
                            ("active", "Active"),
                            ("completed", "Completed"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        default="screened",
                        max_length=12,
                    ),
                ),
                ("screened_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("approached_at", models.DateTimeField(blank=True, null=True)),
                ("declined_at", models.DateTimeField(blank=True, null=True)),
                (
                    "decline_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("not_interested", "Not interested in research"),
                            ("no_time", "No time for study visits or surveys"),
                            ("no_randomisation", "Does not want to be randomised"),
                            ("prefers_treatment", "Wants one particular treatment"),
                            ("other", "Other reason"),
                        ],
                        max_length=20,
                    ),
                ),
                ("decline_note", models.CharField(blank=True, max_length=300)),
                (
                    "criteria",
                    models.JSONField(blank=True, default=dict, help_text="{criterion id: met}"),
                ),
                ("eligibility_confirmed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "baseline_mme",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
                ),
                ("consented_at", models.DateTimeField(blank=True, null=True)),
                ("randomised_at", models.DateTimeField(blank=True, null=True)),
                ("active_at", models.DateTimeField(blank=True, null=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
                ("withdrawn_at", models.DateTimeField(blank=True, null=True)),
                (
                    "eligibility_confirmed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="study_participations",
                        to="people.patient",
                    ),
                ),
                (
                    "screened_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.site",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="ContactTask",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("label", models.CharField(max_length=120)),
                ("due_on", models.DateField()),
                ("done_at", models.DateTimeField(blank=True, null=True)),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contact_tasks",
                        to="research.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["due_on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ContactLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("reached", "Reached"),
                            ("no_answer", "No answer"),
                            ("left_message", "Left a message"),
                            ("rescheduled", "Rescheduled"),
                        ],
                        max_length=12,
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=500)),
                (
                    "by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="contacts",
                        to="research.contacttask",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contacts",
                        to="research.participant",
                    ),
                ),
            ],
            options={
                "ordering": ["-at"],
            },
        ),
        migrations.CreateModel(
            name="ConsentLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("sent_to", models.CharField(blank=True, max_length=254)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="research.consentdocument",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consent_links",
                        to="research.participant",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Consent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "signer",
                    models.CharField(
                        choices=[
                            ("adult", "Participant (adult)"),
                            ("parent", "Parent or guardian (permission)"),
                            ("assent", "Young participant (assent)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("typed_name", models.CharField(max_length=200)),
                ("agreed", models.BooleanField()),
                ("signed_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "device",
                    models.CharField(
                        blank=True, help_text="the browser's user agent", max_length=300
                    ),
                ),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("pdf", models.BinaryField(help_text="the signed copy the signer was sent")),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="research.consentdocument",
                    ),
                ),
                (
                    "link",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consent",
                        to="research.consentlink",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consents",
                        to="research.participant",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["participant", "signer", "-signed_at"],
                        name="research_co_partici_e7371b_idx",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PaymentBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Waiting for approval"),
                            ("approved", "Approved"),
                            ("paid", "Paid"),
                        ],
                        default="draft",
                        max_length=8,
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("approved_at", models.DateTimeField(blank=True, null=True)),
                ("paid_at", models.DateTimeField(blank=True, null=True)),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "paid_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "payment batches",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="LedgerEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("payee", models.CharField(max_length=32)),
                (
                    "source",
                    models.CharField(help_text="what was earned, e.g. survey:<id>", max_length=120),
                ),
                ("amount_cents", models.PositiveIntegerField()),
                ("currency", models.CharField(max_length=3)),
                ("earned_at", models.DateTimeField()),
                (
                    "year",
                    models.PositiveSmallIntegerField(
                        help_text="calendar year of earned_at, payee's zone"
                    ),
                ),
                (
                    "slot",
                    models.PositiveSmallIntegerField(
                        blank=True, help_text="1..cap within the year for capped rules", null=True
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "patient",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.patient",
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="research.incentiverule",
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="research.panelmember",
                    ),
                ),
                (
                    "batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="research.paymentbatch",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "ledger entries",
                "ordering": ["earned_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("rule", "payee", "source"), name="incentive_earned_once"
                    ),
                    models.UniqueConstraint(
                        fields=("rule", "payee", "year", "slot"), name="incentive_cap_slot_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("patient__isnull", True), ("member__isnull", True), _connector="XOR"
                        ),
                        name="ledger_one_payee",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Study",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(unique=True)),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                (
                    "protocol_version",
                    models.CharField(max_length=40, verbose_name="protocol version"),
                ),
                ("description", models.TextField(blank=True, verbose_name="description")),
                ("active", models.BooleanField(default=True)),
                (
                    "condition",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("chronic_pain", "Chronic pain"),
                            ("rheumatoid_arthritis", "Rheumatoid arthritis"),
                            ("ibd", "Inflammatory bowel disease"),
                            ("cystic_fibrosis", "Cystic fibrosis"),
                            ("other", "Other long-term condition"),
                        ],
                        max_length=32,
                    ),
                ),
                ("min_age", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("max_age", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "min_baseline_mme",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
                ),
                (
                    "max_baseline_mme",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=8, null=True),
                ),
                (
                    "strata_factors",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="strata besides the site: age_group, baseline_mme, conditions",
                    ),
                ),
                (
                    "block_multipliers",
                    models.JSONField(
                        default=list,
                        help_text="block sizes as multiples of the ratio sum, e.g. [1, 2]",
                    ),
                ),
                (
                    "randomisation_seed",
                    models.CharField(
                        default=coproduce.research.models.new_seed, editable=False, max_length=64
                    ),
                ),
                (
                    "assent_age",
                    models.PositiveSmallIntegerField(
                        default=12, help_text="minors from this age give their own assent"
                    ),
                ),
                (
                    "outcomes",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="outcome definitions: research.outcomes.DEFINITIONS",
                    ),
                ),
                (
                    "assessments",
                    models.OneToOneField(
                        blank=True,
                        help_text="program holding the study's schedule of assessments",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="study",
                        to="checkins.program",
                    ),
                ),
                (
                    "care_program",
                    models.ForeignKey(
                        blank=True,
                        help_text="the care program a participant must be enrolled in (blank: any)",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="eligible_for_studies",
                        to="checkins.program",
                    ),
                ),
                (
                    "sites",
                    models.ManyToManyField(blank=True, related_name="studies", to="people.site"),
                ),
            ],
            options={
                "verbose_name_plural": "studies",
            },
        ),
        migrations.CreateModel(
            name="StratumCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stratum", models.CharField(max_length=200)),
                ("allocated", models.PositiveIntegerField(default=0)),
                (
                    "study",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="research.study",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("study", "stratum"), name="one_counter_per_stratum"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="paymentbatch",
            name="study",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="research.study"
            ),
        ),
        migrations.AddField(
            model_name="participant",
            name="study",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="participants",
                to="research.study",
            ),
        ),
        migrations.AddField(
            model_name="panel",
            name="study",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="panels",
                to="research.study",
            ),
        ),
        migrations.AddField(
            model_name="material",
            name="study",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="materials",
                to="research.study",
            ),
        ),
        migrations.AddField(
            model_name="incentiverule",
            name="study",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="research.study",
            ),
        ),
        migrations.CreateModel(
            name="ExportRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("fmt", models.CharField(default="csv", max_length=8)),
                ("include_free_text", models.BooleanField(default=False)),
                ("purpose", models.CharField(max_length=500, verbose_name="purpose")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("requested", "Waiting for the PI"),
                            ("approved", "Approved"),
                            ("refused", "Refused"),
                        ],
                        default="requested",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_note", models.CharField(blank=True, max_length=500)),
                ("archive", models.BinaryField(blank=True, null=True)),
                ("manifest", models.JSONField(blank=True, default=dict)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "study",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="export_requests",
                        to="research.study",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="DataQuery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "rule",
                    models.CharField(
                        choices=[
                            ("missing", "Missing required assessment"),
                            ("out_of_range", "Value out of range"),
                            ("impossible", "Impossible combination"),
                            ("duplicate", "Duplicate record"),
                        ],
                        max_length=14,
                    ),
                ),
                ("key", models.CharField(max_length=200)),
                ("message", models.CharField(max_length=300)),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("answered", "Answered"), ("closed", "Closed")],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("answer", models.CharField(blank=True, max_length=500, verbose_name="answer")),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "answered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.site",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="data_queries",
                        to="research.participant",
                    ),
                ),
                (
                    "study",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="data_queries",
                        to="research.study",
                    ),
                ),
            ],
            options={
                "ordering": ["status", "-created_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("study", "key"), name="data_query_once")
                ],
            },
        ),
        migrations.AddField(
            model_name="consentdocument",
            name="study",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="consent_documents",
                to="research.study",
            ),
        ),
        migrations.CreateModel(
            name="ConfirmedCriterion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("inclusion", "Inclusion"), ("exclusion", "Exclusion")],
                        max_length=10,
                    ),
                ),
                ("text", models.CharField(max_length=300)),
                ("order", models.PositiveSmallIntegerField(default=0)),
                (
                    "study",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="confirmed_criteria",
                        to="research.study",
                    ),
                ),
            ],
            options={
                "ordering": ["study", "order", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Arm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.SlugField()),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                ("ratio", models.PositiveSmallIntegerField(default=1)),
                (
                    "sessions",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="behavioural-treatment sessions planned (0: none)"
                    ),
                ),
                (
                    "study",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="arms",
                        to="research.study",
                    ),
                ),
            ],
            options={
                "ordering": ["study", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("study", "code"), name="arm_code_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="Allocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stratum", models.CharField(max_length=200)),
                ("position", models.PositiveIntegerField()),
                ("allocated_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "allocated_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "arm",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="research.arm",
                    ),
                ),
                (
                    "participant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocation",
                        to="research.participant",
                    ),
                ),
                (
                    "study",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="research.study",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("study", "stratum", "position"), name="one_allocation_per_position"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StudyStaff",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        blank=True,
                        help_text="coordinators: the site they coordinate (blank: every site of the study)",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="people.site",
                    ),
                ),
                (
                    "study",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="staff",
                        to="research.study",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="studies",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "study staff",
                "constraints": [
                    models.UniqueConstraint(fields=("study", "user", "site"), name="staff_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="SurveyInvitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("sent_to", models.CharField(blank=True, max_length=254)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                ("expires_at", models.DateTimeField()),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="research.panelmember",
                    ),
                ),
                (
                    "survey",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="research.panelsurvey",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("survey", "member"), name="panel_invitation_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SurveyResponse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("answers", models.JSONField(default=dict)),
                ("submitted_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "invitation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="response",
                        to="research.surveyinvitation",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="TreatmentSession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField()),
                ("starts_at", models.DateTimeField()),
                ("telehealth_link", models.URLField(blank=True)),
                ("attended", models.BooleanField(blank=True, null=True)),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions",
                        to="research.participant",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["participant", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("participant", "number"), name="session_number_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Withdrawal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("intervention", "Stop the study treatment (follow-up continues)"),
                            ("follow_up", "Stop follow-up (no more study surveys or calls)"),
                            ("data", "Withdraw data use (also left out of exports)"),
                        ],
                        max_length=12,
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=300)),
                ("at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="withdrawals",
                        to="research.participant",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="participant",
            index=models.Index(
                fields=["study", "site", "status"], name="research_pa_study_i_e953aa_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                fields=("study", "patient"), name="screened_once_per_study"
            ),
        ),
        migrations.AddConstraint(
            model_name="material",
            constraint=models.UniqueConstraint(
                fields=("study", "title"), name="material_title_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="incentiverule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("study__isnull", True), ("panel__isnull", True), _connector="XOR"
                ),
                name="rule_one_owner",
            ),
        ),
        migrations.AddConstraint(
            model_name="consentdocument",
            constraint=models.UniqueConstraint(
                fields=("study", "signer", "version"), name="consent_version_once"
            ),
        ),
    ]
