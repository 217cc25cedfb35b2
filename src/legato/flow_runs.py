"""Public API for working with flow runs from inside a flow, laid out as in Prefect:
`from legato.flow_runs import pause_flow_run, suspend_flow_run`."""

from legato.sdk.pauses import pause_flow_run, suspend_flow_run

__all__ = ["pause_flow_run", "suspend_flow_run"]
