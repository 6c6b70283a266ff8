"""Official XML schemas the rails validate their output against (data only)."""
