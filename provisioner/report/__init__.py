"""For auditors: effective access and who-can with provenance, the ACCESS.md document,
terminations, reviews, evidence bundles and the audit log viewer. Reads the model, the
state and git; never writes the config or the state.
"""
