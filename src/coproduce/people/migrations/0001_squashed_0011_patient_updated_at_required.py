"""people 0001-0011 as one initial migration: a new database takes fewer steps.

Django uses it where none or all of the migrations it replaces have run; a database
part-way through them finishes with the old files (docs/deployment.md, "Upgrades").
"""

import django.contrib.auth.models
import django.contrib.auth.validators
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import coproduce.people.models
import coproduce.platform.clock


class Migration(migrations.Migration):
    replaces = [
        ("people", "0001_initial"),
        ("people", "0002_defaults_from_the_application_clock"),
        ("people", "0003_user_session_generation"),
        ("people", "0004_investigator_and_statistician_roles"),
        ("people", "0005_site_urgent_contact"),
        ("people", "0006_panelist_role"),
        ("people", "0007_patient_mrn"),
        ("people", "0008_site_teen_confidential_instruments"),
        ("people", "0009_site_country_user_language_and_more"),
        ("people", "0010_patient_updated_at"),
        ("people", "0011_patient_updated_at_required"),
    ]

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="CareTeam",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name="LoginFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("username", models.CharField(db_index=True, max_length=150)),
                ("ip", models.GenericIPAddressField(db_index=True, null=True)),
                ("at", models.DateTimeField(db_index=True, default=coproduce.platform.clock.now)),
            ],
        ),
        migrations.CreateModel(
            name="Network",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("password", models.CharField(max_length=128, verbose_name="password")),
                (
                    "last_login",
                    models.DateTimeField(blank=True, null=True, verbose_name="last login"),
                ),
                (
                    "is_superuser",
                    models.BooleanField(
                        default=False,
                        help_text="Designates that this user has all permissions without explicitly assigning them.",
                        verbose_name="superuser status",
                    ),
                ),
                (
                    "username",
                    models.CharField(
                        error_messages={"unique": "A user with that username already exists."},
                        help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
                        max_length=150,
                        unique=True,
                        validators=[django.contrib.auth.validators.UnicodeUsernameValidator()],
                        verbose_name="username",
                    ),
                ),
                (
                    "first_name",
                    models.CharField(blank=True, max_length=150, verbose_name="first name"),
                ),
                (
                    "last_name",
                    models.CharField(blank=True, max_length=150, verbose_name="last name"),
                ),
                (
                    "email",
                    models.EmailField(blank=True, max_length=254, verbose_name="email address"),
                ),
                (
                    "is_staff",
                    models.BooleanField(
                        default=False,
                        help_text="Designates whether the user can log into this admin site.",
                        verbose_name="staff status",
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(
                        default=True,
                        help_text="Designates whether this user should be treated as active. Unselect this instead of deleting accounts.",
                        verbose_name="active",
                    ),
                ),
                (
                    "date_joined",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="date joined"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("clinician", "Clinician"),
                            ("nurse", "Nurse"),
                            ("coordinator", "Research coordinator"),
                            ("researcher", "Researcher"),
                            ("qi_lead", "QI lead"),
                            ("investigator", "Principal investigator"),
                            ("statistician", "Unblinded statistician"),
                            ("registry_admin", "Registry admin"),
                            ("patient", "Patient"),
                            ("family", "Parent, guardian or family member"),
                            ("panelist", "Patient advisory panel member"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        blank=True,
                        choices=[("en", "English"), ("es", "Español"), ("sv", "Svenska")],
                        max_length=8,
                        verbose_name="language",
                    ),
                ),
                ("session_generation", models.PositiveIntegerField(default=0, editable=False)),
                (
                    "groups",
                    models.ManyToManyField(
                        blank=True,
                        help_text="The groups this user belongs to. A user will get all permissions granted to each of their groups.",
                        related_name="user_set",
                        related_query_name="user",
                        to="auth.group",
                        verbose_name="groups",
                    ),
                ),
                (
                    "user_permissions",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Specific permissions for this user.",
                        related_name="user_set",
                        related_query_name="user",
                        to="auth.permission",
                        verbose_name="user permissions",
                    ),
                ),
            ],
            options={
                "verbose_name": "user",
                "verbose_name_plural": "users",
                "abstract": False,
            },
            managers=[
                ("objects", django.contrib.auth.models.UserManager()),
            ],
        ),
        migrations.CreateModel(
            name="CareTeamMembership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "care_team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="people.careteam",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("user", "care_team"), name="membership_unique")
                ],
            },
        ),
        migrations.AddField(
            model_name="user",
            name="care_teams",
            field=models.ManyToManyField(
                blank=True,
                related_name="members",
                through="people.CareTeamMembership",
                to="people.careteam",
            ),
        ),
        migrations.CreateModel(
            name="Patient",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("updated_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "registry_id",
                    models.CharField(
                        default=coproduce.people.models.new_registry_id, max_length=16, unique=True
                    ),
                ),
                ("given_name", models.CharField(max_length=100)),
                ("family_name", models.CharField(max_length=100)),
                ("date_of_birth", models.DateField()),
                (
                    "preferred_language",
                    models.CharField(
                        choices=[("en", "English"), ("es", "Español"), ("sv", "Svenska")],
                        default="en",
                        max_length=8,
                        verbose_name="preferred language",
                    ),
                ),
                ("email", models.EmailField(blank=True, max_length=254)),
                ("phone", models.CharField(blank=True, max_length=32)),
                (
                    "preferred_channel",
                    models.CharField(
                        choices=[("email", "E-mail"), ("sms", "Text message (SMS)")],
                        default="email",
                        max_length=8,
                    ),
                ),
                (
                    "mrn",
                    models.CharField(
                        blank=True, max_length=40, verbose_name="medical record number"
                    ),
                ),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "care_team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="patients",
                        to="people.careteam",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="patient",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PatientCondition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "condition",
                    models.CharField(
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
                ("since", models.DateField(blank=True, null=True)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="conditions",
                        to="people.patient",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["condition"], name="people_pati_conditi_28e3f1_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("patient", "condition"), name="condition_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="ProxyLink",
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
                            ("parent", "Parent or guardian (acts for the patient)"),
                            ("family_read", "Family member (read only, granted by the patient)"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "relationship",
                    models.CharField(blank=True, help_text="e.g. mother, partner", max_length=60),
                ),
                ("adult_grant_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=coproduce.platform.clock.now)),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="proxy_links",
                        to="people.patient",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="proxy_links",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("user", "patient"), name="one_link_per_pair")
                ],
            },
        ),
        migrations.CreateModel(
            name="Site",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("slug", models.SlugField(unique=True)),
                ("time_zone", models.CharField(default="Europe/Stockholm", max_length=64)),
                (
                    "country",
                    models.CharField(
                        blank=True,
                        choices=[("SE", "Sweden"), ("US", "United States"), ("ES", "Spain")],
                        help_text="Decides which crisis lines and emergency numbers patients are shown.",
                        max_length=2,
                        verbose_name="country",
                    ),
                ),
                (
                    "teen_login_age",
                    models.PositiveSmallIntegerField(
                        default=12,
                        help_text="Age from which a young patient may have a login of their own.",
                    ),
                ),
                (
                    "teen_confidential_instruments",
                    models.JSONField(
                        blank=True,
                        default=coproduce.people.models.default_teen_confidential,
                        help_text="Instrument IDs, e.g. phq9 and substance-use questionnaires.",
                        verbose_name="instruments a parent does not see item by item",
                    ),
                ),
                (
                    "teen_parent_sees_band",
                    models.BooleanField(
                        default=False,
                        help_text="Show a parent the band (e.g. 'Mild') of those instruments, never answers.",
                        verbose_name="parent sees the band",
                    ),
                ),
                (
                    "urgent_email",
                    models.EmailField(
                        blank=True,
                        help_text="An on-call address that is read at all times; told of every urgent alert.",
                        max_length=254,
                        verbose_name="urgent contact e-mail",
                    ),
                ),
                (
                    "urgent_phone",
                    models.CharField(
                        blank=True,
                        help_text="An on-call mobile number; urgent alerts are sent to it by text message where a text-message provider is set up.",
                        max_length=32,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^\\+?[0-9][0-9 ()-]{5,30}$",
                                "Give a phone number of digits, spaces and dashes, e.g. +46 70 123 45 67.",
                            )
                        ],
                        verbose_name="urgent contact phone",
                    ),
                ),
                (
                    "network",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="sites",
                        to="people.network",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("network", "name"), name="site_name_unique_in_network"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="patient",
            name="mrn_site",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="people.site",
            ),
        ),
        migrations.AddField(
            model_name="careteam",
            name="site",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="care_teams",
                to="people.site",
            ),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                fields=["care_team", "family_name"], name="people_pati_care_te_09dc4d_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                condition=models.Q(("mrn", ""), _negated=True),
                fields=("mrn_site", "mrn"),
                name="mrn_unique_in_site",
            ),
        ),
        migrations.AddConstraint(
            model_name="careteam",
            constraint=models.UniqueConstraint(
                fields=("site", "name"), name="team_name_unique_in_site"
            ),
        ),
    ]
