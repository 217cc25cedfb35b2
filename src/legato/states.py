"""Public states API: the State class and the StateType enum."""

from legato.core.states import StateType
from legato.engine.states import State

__all__ = ["State", "StateType"]
