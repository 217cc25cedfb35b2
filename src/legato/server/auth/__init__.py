"""Access control of the API: the policy table (who may call what), the middleware and
dependency that enforce it, sign-in for the UI and the administration routes."""
