"""Targets: the systems apply provisions, beyond the provisioner's own state.

`mapping` decides what each target receives (pure), `operations` holds the outbox's
records, `scim` and `changefile` speak to a system, and `delivery` sends what the state
owes each target and records the results. Reading targets back (import, drift) is not here.
"""
