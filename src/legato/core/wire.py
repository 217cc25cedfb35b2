"""Constants of the REST API's wire format that both sides name: the idempotency header and
the page bounds. Kept free of pydantic so a run's process can use them without the models."""

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Page sizes: flow runs and other pages share one bound; logs come in bigger pages.
DEFAULT_PAGE = 50
MAX_PAGE = 500
DEFAULT_LOG_PAGE = 1000
MAX_LOG_PAGE = 10_000
