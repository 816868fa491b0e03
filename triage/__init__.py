"""triage: decide how urgent each support ticket is and which tier must handle it, with reasons.

    >>> import triage
    >>> engine = triage.load()
    >>> result = engine.score_ticket({"ticket_id": "42", "text": "I was charged twice, my lawyer will call you."})
    >>> result.priority, result.tier, result.escalate

The scoring engine (torch, transformers, spaCy) is imported on first use, so ``triage --help`` and
reading a config stay fast.
"""

from importlib import import_module

from .config import Config, load_config
from .errors import ConfigError, InputError, MissingColumnError, ModelLoadError, TriageError, TriageWarning

__version__ = "0.1.0"

_LAZY = {
    "Engine": "engine",
    "TicketResult": "engine",
    "load": "engine",
    "train_model": "retrain",
    "evaluate_model": "evaluation",
    "audit_export": "audit_data",
    "backtest_export": "backtest",
    "read_tickets": "adapters",
    "write_back": "writeback",
    "metrics_from_file": "metrics",
    "report_file": "report",
}

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
    "audit_export",
    "backtest_export",
    "evaluate_model",
    "load",
    "load_config",
    "metrics_from_file",
    "read_tickets",
    "report_file",
    "train_model",
    "write_back",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'triage' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
