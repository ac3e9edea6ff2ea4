"""Access-as-code for health systems: organizations described in YAML are validated,
planned against the applied state and applied, Terraform-style.

This package is the library; `provisioner.cli` is a thin command line over it.
"""

__version__ = "0.1.0"
