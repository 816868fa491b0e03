"""triage: decide how urgent each support ticket is and which tier must handle it, with reasons.

    >>> import triage
    >>> engine = triage.load()
    >>> result = engine.score_ticket({"ticket_id": "42", "text": "I was charged twice, my lawyer will call you."})
    >>> result.priority, result.tier, result.escalate
"""

from .config import Config, load_config
from .engine import Engine, TicketResult, load
from .errors import ConfigError, InputError, MissingColumnError, ModelLoadError, TriageError, TriageWarning

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Engine",
    "InputError",
    "MissingColumnError",
    "ModelLoadError",
    "TicketResult",
    "TriageError",
    "TriageWarning",
    "__version__",
    "load",
    "load_config",
]
