"""The public SDK: @flow and @task, parameters, and the runtime that runs flows."""
