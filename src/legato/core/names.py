"""Human-friendly run names ("brisk-otter"), as people expect from Prefect and Argo."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "crimson", "daring", "eager", "fancy", "gentle",
    "golden", "happy", "jolly", "keen", "lively", "lucky", "merry", "nimble", "olive", "proud",
    "quick", "quiet", "rapid", "silver", "steady", "sunny", "swift", "tidy", "vivid", "witty",
)
_ANIMALS = (
    "badger", "beaver", "bison", "crane", "dolphin", "eagle", "falcon", "ferret", "finch", "fox",
    "gecko", "heron", "ibis", "jaguar", "koala", "lemur", "lynx", "marten", "moose", "newt",
    "otter", "owl", "panda", "puffin", "quail", "raven", "salmon", "tapir", "walrus", "wombat",
)
_rng = random.Random()


def run_name() -> str:
    """A random "adjective-animal" name; not unique, ids are."""
    return f"{_rng.choice(_ADJECTIVES)}-{_rng.choice(_ANIMALS)}"
