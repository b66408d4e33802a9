"""Sites, care teams, staff, patients and the people who act for them."""

from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from coproduce.platform import clock, crisis
from coproduce.platform.models import Channel
from coproduce.platform.names import NamedInLanguages
from coproduce.platform.stamps import UpdatedAt


class Role(models.TextChoices):
    CLINICIAN = "clinician", _("Clinician")
    NURSE = "nurse", _("Nurse")
    COORDINATOR = "coordinator", _("Research coordinator")
    RESEARCHER = "researcher", _("Researcher")
    QI_LEAD = "qi_lead", _("QI lead")
    INVESTIGATOR = "investigator", _("Principal investigator")
    STATISTICIAN = "statistician", _("Unblinded statistician")
    REGISTRY_ADMIN = "registry_admin", _("Registry admin")
    PATIENT = "patient", _("Patient")
    FAMILY = "family", _("Parent, guardian or family member")
    # A member of a study's patient advisory panel (research.PanelMember): no patient record.
    PANELIST = "panelist", _("Patient advisory panel member")


# Every set of roles is declared here, once; other apps import these names.
# Roles that care for patients of their own care teams.
CARE_ROLES = frozenset({Role.CLINICIAN, Role.NURSE, Role.COORDINATOR})
# Care roles that decide on a patient's plan, goals and medications.
CLINICAL_ROLES = frozenset({Role.CLINICIAN, Role.NURSE})
# The patient and the people who act for or read for them.
PATIENT_SIDE_ROLES = frozenset({Role.PATIENT, Role.FAMILY})
# Research roles are per study: a StudyStaff row says which studies (and sites) they work on.
RESEARCH_ROLES = frozenset(
    {Role.COORDINATOR, Role.INVESTIGATOR, Role.STATISTICIAN, Role.RESEARCHER}
)
# Who reads the registry's measures and population lists: quality improvement and the care
# roles (each for the patients they may see).
QI_ROLES = CARE_ROLES | {Role.QI_LEAD}
STAFF_ROLES = CARE_ROLES | RESEARCH_ROLES | {Role.QI_LEAD, Role.REGISTRY_ADMIN}
# Research roles that ask for (researcher) or decide on (investigator) de-identified exports.
EXPORT_ROLES = frozenset({Role.RESEARCHER, Role.INVESTIGATOR})
# Research roles that may ever see a participant's arm (each under its own rule).
ARM_ROLES = frozenset({Role.STATISTICIAN, Role.COORDINATOR})
# Research roles that keep the incentives ledger (coordinator) and approve its batches (PI).
LEDGER_ROLES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})


def _crud(app_model: str, actions=("view", "add", "change", "delete")) -> set[str]:
    app, model = app_model.split(".")
    return {f"{app}.{action}_{model}" for action in actions}


# What a registry admin may do in the Django admin: sites, teams, users, programs,
# schedules, sites' visit settings, and review (view only) of rules, instruments and the audit log.
ADMIN_PERMISSIONS = frozenset(
    _crud("people.network")
    | _crud("people.site")
    | _crud("people.careteam")
    | _crud("people.careteammembership")
    | _crud("people.user", ("view", "add", "change"))
    | _crud("checkins.program", ("view", "add", "change"))
    | _crud("checkins.schedule", ("view", "add", "change"))
    | _crud("visits.sitepolicy", ("view", "add", "change"))
    | _crud("safetynet.rule", ("view",))
    | _crud("instruments.instrumentversion", ("view",))
    | _crud("audit.auditevent", ("view",))
    | _crud("research.study", ("view", "add", "change"))
    | _crud("research.arm")
    | _crud("research.confirmedcriterion")
    | _crud("research.studystaff")
    | _crud("research.consentdocument", ("view", "add", "change"))
)


class User(AbstractUser):
    """A person who can log in: staff, a patient (adult or teen) or a family member."""

    role = models.CharField(max_length=20, choices=Role.choices)
    care_teams: models.ManyToManyField = models.ManyToManyField(
        "CareTeam", through="CareTeamMembership", related_name="members", blank=True
    )
    # The language this person reads in (the language switch saves it); blank: the browser's.
    # A patient's is their Patient.preferred_language (Patient.save copies it here).
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    # Raised by "log out everywhere": every session signed with the old value ends.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    def reading_language(self) -> str:
        """The language this person's pages are shown in ("" = the browser's choice). A
        patient's is their preferred language: Patient.save keeps the two equal, so that no
        page pays a query for it."""
        return self.language

    @property
    def is_care_staff(self) -> bool:
        return self.role in CARE_ROLES

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def has_perm(self, perm, obj=None) -> bool:
        # Registry admins manage the network's set-up, never patients' clinical records.
        if self.is_active and self.role == Role.REGISTRY_ADMIN and perm in ADMIN_PERMISSIONS:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        prefix = f"{app_label}."
        admin = self.is_active and self.role == Role.REGISTRY_ADMIN
        if admin and any(p.startswith(prefix) for p in ADMIN_PERMISSIONS):
            return True
        return super().has_module_perms(app_label)

    def _get_session_auth_hash(self, secret=None):
        # Django ends a session whose stored hash no longer matches. Besides the password we
        # sign the role (a change of role ends every session: the next login gets a new
        # session id) and the generation ("log out everywhere").
        return salted_hmac(
            "coproduce.people.User.session",
            f"{self.password}|{self.role}|{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def save(self, *args, **kwargs):
        # Only registry admins reach the Django admin; the flag follows the role.
        self.is_staff = self.role == Role.REGISTRY_ADMIN or self.is_superuser
        super().save(*args, **kwargs)


class Network(models.Model):
    name = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


def default_teen_confidential() -> list[str]:
    """PHQ-9 and the substance-use screens (CRAFFT, AUDIT-C) a site may add."""
    return ["phq9", "crafft", "audit-c"]


class Site(models.Model):
    """A clinic; its settings shape how its patients are cared for."""

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/Stockholm")
    # Which crisis lines its patients are shown (coproduce/platform/crisis.py); blank: the
    # COPRODUCE_DEFAULT_COUNTRY setting.
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        choices=[("SE", _("Sweden")), ("US", _("United States")), ("ES", _("Spain"))],
        help_text=_("Decides which crisis lines and emergency numbers patients are shown."),
    )
    teen_login_age = models.PositiveSmallIntegerField(
        default=12, help_text="Age from which a young patient may have a login of their own."
    )
    # A teen's own answers to sensitive questionnaires are theirs: from the teen login age to
    # 17 a parent does not see them item by item (the care team always does, and red flags
    # reach the team as for anyone). See people.access.hidden_from_proxy.
    teen_confidential_instruments = models.JSONField(
        _("instruments a parent does not see item by item"),
        default=default_teen_confidential,
        blank=True,
        help_text=_("Instrument IDs, e.g. phq9 and substance-use questionnaires."),
    )
    teen_parent_sees_band = models.BooleanField(
        _("parent sees the band"),
        default=False,
        help_text=_("Show a parent the band (e.g. 'Mild') of those instruments, never answers."),
    )
    # Who hears an urgent alert besides the team (see safetynet/recipients.py). Blank on
    # sites set up before these fields existed; `clean` refuses a site without either.
    urgent_email = models.EmailField(
        _("urgent contact e-mail"),
        blank=True,
        help_text=_("An on-call address that is read at all times; told of every urgent alert."),
    )
    urgent_phone = models.CharField(
        _("urgent contact phone"),
        max_length=32,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 ()-]{5,30}$",
                _("Give a phone number of digits, spaces and dashes, e.g. +46 70 123 45 67."),
            )
        ],
        help_text=_(
            "An on-call mobile number; urgent alerts are sent to it by text message where a "
            "text-message provider is set up."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="site_name_unique_in_network")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.urgent_email = (self.urgent_email or "").strip()
        self.urgent_phone = (self.urgent_phone or "").strip()
        if not self.urgent_email and not self.urgent_phone:
            message = _(
                "Give an urgent contact (an on-call e-mail address, a phone number, or both): "
                "urgent alerts about this site's patients go there as well as to the team."
            )
            raise ValidationError({"urgent_email": message, "urgent_phone": message})

    @property
    def urgent_contact(self) -> str:
        return ", ".join(c for c in (self.urgent_email, self.urgent_phone) if c)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def crisis_country(self) -> str:
        """The country whose crisis lines this site's patients see."""
        return crisis.country_or_default(self.country)


class CareTeam(NamedInLanguages):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="care_teams")
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="team_name_unique_in_site")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.site.name})"


class CareTeamMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    care_team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "care_team"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.care_team_id}"


class Condition(models.TextChoices):
    CHRONIC_PAIN = "chronic_pain", _("Chronic pain")
    RA = "rheumatoid_arthritis", _("Rheumatoid arthritis")
    IBD = "ibd", _("Inflammatory bowel disease")
    CF = "cystic_fibrosis", _("Cystic fibrosis")
    OTHER = "other", _("Other long-term condition")


def new_registry_id() -> str:
    """Return a pseudonymous registry ID such as 'CP-7K3M9QXA' (no ambiguous characters)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "CP-" + "".join(secrets.choice(alphabet) for _ in range(8))


class Patient(UpdatedAt):
    """A person in care. URLs and exports use `registry_id`, never the primary key."""

    registry_id = models.CharField(max_length=16, unique=True, default=new_registry_id)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, default="en", choices=settings.LANGUAGES
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    preferred_channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="patients")
    # The clinic's own medical record number; unique per site. The site is kept beside it
    # (set on save from the care team) so that the database enforces the uniqueness.
    mrn = models.CharField(_("medical record number"), max_length=40, blank=True)
    mrn_site = models.ForeignKey(
        Site, null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["care_team", "family_name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["mrn_site", "mrn"],
                condition=~models.Q(mrn=""),
                name="mrn_unique_in_site",
            )
        ]

    def __str__(self) -> str:
        return self.registry_id

    def save(self, *args, **kwargs):
        self.mrn = (self.mrn or "").strip()
        site_id = None
        if self.mrn:
            site_id = (
                CareTeam.objects.filter(pk=self.care_team_id)
                .values_list("site_id", flat=True)
                .first()
            )
        if self.mrn_site_id != site_id:
            self.mrn_site_id = site_id
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "mrn", "mrn_site"}
        super().save(*args, **kwargs)
        # Their pages follow the preferred language without a query per page (User.language).
        if self.user_id is not None:
            User.objects.filter(pk=self.user_id).exclude(language=self.preferred_language).update(
                language=self.preferred_language
            )

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class PatientCondition(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    condition = models.CharField(max_length=32, choices=Condition.choices)
    since = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "condition"], name="condition_once")
        ]
        indexes = [models.Index(fields=["condition"])]

    def __str__(self) -> str:
        return self.get_condition_display()


class ProxyKind(models.TextChoices):
    PARENT = "parent", _("Parent or guardian (acts for the patient)")
    FAMILY_READ = "family_read", _("Family member (read only, granted by the patient)")


class ProxyLink(models.Model):
    """Someone who may see (and, for parents, answer for) a patient.

    A parent's link ends on the patient's 18th birthday unless the patient, as an adult,
    grants continued access (`adult_grant_at`). Family read access is always the patient's
    own grant.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proxy_links")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="proxy_links")
    kind = models.CharField(max_length=16, choices=ProxyKind.choices)
    relationship = models.CharField(max_length=60, blank=True, help_text="e.g. mother, partner")
    adult_grant_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "patient"], name="one_link_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: user {self.user_id} for {self.patient_id}"

    @property
    def can_answer(self) -> bool:
        return self.kind == ProxyKind.PARENT


class LoginFailure(models.Model):
    """A failed login, counted to slow down password guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} at {self.at:%Y-%m-%d %H:%M}"
