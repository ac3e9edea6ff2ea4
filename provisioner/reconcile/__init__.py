"""Reading targets back: what a system holds compared with what the state says it was
given (drift), linking accounts that already exist (adopt), and an org folder written
from a system's accounts (import). Reads from below; never changes the config or plans."""
