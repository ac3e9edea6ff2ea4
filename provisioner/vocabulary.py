"""The seeds' words: the closed sets of values the configuration may use.

The JSON Schemas in `schemas/` spell the same enums (a test keeps them in step); rules,
effective access and the plan import them from here.
"""

from __future__ import annotations

KINDS = ("Organization", "Office", "Person", "Group", "InsurancePlan", "Waiver")

# Seed 000: base account types (ACC001).
STAFF_TYPES = ("office_staff", "master_group_staff")
PROVIDER_TYPES = ("physician", "physician_staff")
ACCOUNT_TYPES = STAFF_TYPES + PROVIDER_TYPES

# Seed 000: admin authorizations added on top of a staff account.
ADMIN_ROLES = ("office_admin", "client_admin_full", "client_admin_reporting")
CLIENT_ADMIN_ROLES = ("client_admin_full", "client_admin_reporting")

# Seed 002: Front Office sub-roles (FO001).
FRONT_OFFICE_ROLES = ("scheduler", "biller")

# Seed 003: EMR user types and the licence each one uses (TYPE001).
LICENSE_OF_USER_TYPE = {
    "PT": "therapist", "OT": "therapist", "SLP": "therapist",
    "PTA": "assistant", "COTA": "assistant", "SLPA": "assistant",
    "Clerical": "clerical", "Biller": "clerical",
    "SPT": "student", "SOT": "student", "SSLP": "student",
}
USER_TYPES = tuple(LICENSE_OF_USER_TYPE)
DISCIPLINE_OF_USER_TYPE = {
    "PT": "physical_therapy", "PTA": "physical_therapy", "SPT": "physical_therapy",
    "OT": "occupational_therapy", "COTA": "occupational_therapy", "SOT": "occupational_therapy",
    "SLP": "speech_language", "SLPA": "speech_language", "SSLP": "speech_language",
    "Clerical": "clerical", "Biller": "billing",
}
# Licence types that are bought and counted (clerical is never charged: LIC001).
COUNTED_LICENSE_TYPES = ("therapist", "assistant", "student")
LICENSE_TYPES = COUNTED_LICENSE_TYPES + ("clerical",)

# Seed 003: EMR permissions.
PATIENT_PERMISSIONS = ("view_patients", "edit_patients", "edit_patient_transactions")
USER_MANAGER_PERMISSIONS = ("view_users", "edit_users")
NOTE_PERMISSIONS = ("start_soap_notes", "forward_soap_notes", "finish_soap_notes")
# "You probably want to limit" (PERM003); the profile's `admin` flag grants all of them.
LIMITED_ADMIN_PERMISSIONS = (
    "calendar_admin", "clinic_admin", "company_admin", "billing_report_admin", "insurance_admin",
)
PERMISSIONS = (
    PATIENT_PERMISSIONS + USER_MANAGER_PERMISSIONS + NOTE_PERMISSIONS
    + LIMITED_ADMIN_PERMISSIONS + ("analytics_access",)
)

MIPS_MODES = ("none", "individual", "group")
SIGNATURES = ("uploaded", "drawn", "selected")
GROUP_ROLES = ("sender", "receiver", "both")
STATUSES = ("active", "inactive")
DISPOSITIONS = ("reassign", "forward", "decline")

# Seed 000 quick-reference tables: role templates a person may name instead of spelling
# out account type and admin rights. Explicit fields in the person win.
ROLE_TEMPLATES: dict[str, dict] = {
    "referral-staff": {"account_type": "office_staff", "admin": []},
    "call-center-staff": {"account_type": "master_group_staff", "admin": []},
    "system-wide-referral-staff": {"account_type": "master_group_staff", "admin": []},
    "office-manager": {"account_type": "office_staff", "admin": ["office_admin"]},
    "call-center-manager": {"account_type": "master_group_staff", "admin": ["client_admin_reporting"]},
    "reporting-manager": {"account_type": "master_group_staff", "admin": ["client_admin_reporting"]},
    "health-system-manager": {
        "account_type": "master_group_staff", "admin": ["client_admin_full"], "work_queue_chat": True,
    },
    "provider": {"account_type": "physician", "admin": []},
}
