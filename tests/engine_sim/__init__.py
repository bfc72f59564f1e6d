"""A simulated oVirt/RHEV engine (HTTPS, API v3 and v4) for the rhev tests and bench."""

from tests.engine_sim.pki import Pki, make_pki
from tests.engine_sim.recorder import Recorder
from tests.engine_sim.scenario import Scenario, generate, load, resolve
from tests.engine_sim.server import EngineMode, EngineSimulator

__all__ = ["EngineMode", "EngineSimulator", "Pki", "Recorder", "Scenario", "generate", "load", "make_pki", "resolve"]
