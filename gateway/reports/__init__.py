"""Reports computed from stored resources (1177 self-service shares and free-slot horizon)."""
