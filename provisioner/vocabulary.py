"""The seeds' words: the closed sets of values the configuration may use.

The JSON Schemas in `schemas/` spell the same enums (a test keeps them in step); rules,
effective access and the plan import them from here.
"""

from __future__ import annotations

KINDS = ("Organization", "Office", "Person", "Group", "InsurancePlan", "Waiver", "Target")

# What a Target receives (schemas/target.schema.json; docs/targets.md).
TARGET_TYPES = ("scim", "changefile")
FACETS = ("referral_accounts", "front_office_roles", "emr_profiles")

# “Types of par8o Accounts”: base account types (ACC001).
STAFF_TYPES = ("office_staff", "master_group_staff")
PROVIDER_TYPES = ("physician", "physician_staff")
ACCOUNT_TYPES = STAFF_TYPES + PROVIDER_TYPES

# “Types of par8o Accounts”: admin authorizations added on top of a staff account.
ADMIN_ROLES = ("office_admin", "client_admin_full", "client_admin_reporting")
CLIENT_ADMIN_ROLES = ("client_admin_full", "client_admin_reporting")

# “Front Office Role”: Front Office sub-roles (FO001).
FRONT_OFFICE_ROLES = ("scheduler", "biller")

# “Managing Users and Permissions”: EMR user types and the licence each one uses (TYPE001).
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

# “Managing Users and Permissions”: EMR permissions.
PATIENT_PERMISSIONS = ("view_patients", "edit_patients", "edit_patient_transactions")
USER_MANAGER_PERMISSIONS = ("view_users", "edit_users")
# GOV006: held with either of them ("View Users ... can create new user profiles", “Managing Users and Permissions”).
USER_MANAGEMENT = "user_management"
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

# “Types of par8o Accounts” quick-reference tables: role templates a person may name instead of spelling
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

# “Front Office Role”: Front Office permissions, each with a snake_case id (GOV006 pairs name them).
# The scheduler set is the minimum of any Front Office role; a biller adds the billing set.
SCHEDULER_PERMISSIONS: dict[str, str] = {
    "edit_client_profile": "View/edit profile (all clients)",
    "add_saved_credit_cards": "Add saved credit cards, without processing them",
    "manage_client_portal": "Enable/disable client portal and send password resets",
    "view_appointments": "View (only) appointments",
    "view_patient_accounting": "View (only) the patient accounting screen, without details",
    "manage_client_insurance": "View/add/edit/delete client insurance information",
    "assign_client_documents": "Assign and view standard client documents",
    "upload_documents_on_file": "Upload files to 'Documents on File'",
    "manage_practice_contacts": "View/add/edit all practice contacts",
    "send_messages": "Send/receive messages to/from any staff and any clients",
    "view_master_schedule": "View the Master Schedule",
    "edit_appointments": "Edit (reschedule, cancel, no-show) appointments in all provider calendars",
    "create_appointments": "Create appointments/meetings in all provider calendars",
    "view_new_clients": "View the new clients list on the Dashboard",
}
BILLER_PERMISSIONS: dict[str, str] = {
    "take_payments": "Enter/take payments for all clients",
    "view_billing_details": "View details of billing info: charges, payments, adjustments",
    "create_statements": "Create statements for all clients",
    "enter_eobs": "Enter EOBs and view ERA files",
    "enter_refunds": "Enter refunds for all clients",
    "enter_adjustments": "Enter billing adjustments for all clients",
    "manage_claims": "Create, view, edit, print, submit, close claims for all clients",
    "start_billing": "Start billing (create charges) for all clients",
    "view_open_balances": "View largest open balances for all clients",
    "view_claim_updates": "View all latest claim updates",
    "view_credits_due": "View clients with the largest credits due",
    "search_claims": "View/search all claims and those needing attention",
    "search_insurance_payments": "View/search all insurance payments",
}
FRONT_OFFICE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "scheduler": tuple(SCHEDULER_PERMISSIONS),
    "biller": tuple(SCHEDULER_PERMISSIONS) + tuple(BILLER_PERMISSIONS),
}
# “Front Office Role”: "chart notes and uploaded documents designated for clinician eyes only" (FO002).
CLINICIAN_ONLY_PERMISSIONS = NOTE_PERMISSIONS
CLINICIAN_LICENSE_TYPES = ("therapist", "assistant", "student")
