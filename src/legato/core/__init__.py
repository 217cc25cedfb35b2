"""Pure domain: states and their transitions, run records, the Backend protocol, retry
policy, ids and graph checks. Imports nothing outside the standard library and legato.errors."""
