"""Public flow API, laid out as in Prefect: `from legato.flows import flow, Flow`."""

from legato.sdk.flows import Flow, flow

__all__ = ["Flow", "flow"]
