"""The one settings store: ``ew.options(...)`` as a context manager or setter."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

_DEFAULTS: dict[str, Any] = {
    "max_html_rows": 60,  # rows shown by a Result's static HTML table
}
_CURRENT: dict[str, Any] = dict(_DEFAULTS)


def get_option(name: str) -> Any:
    """Return the current value of option ``name``."""
    if name not in _CURRENT:
        from .errors import did_you_mean

        raise KeyError(f"unknown option {name!r}.{did_you_mean(name, _CURRENT)}")
    return _CURRENT[name]


@contextlib.contextmanager
def options(**kwargs: Any) -> Iterator[dict[str, Any]]:
    """Temporarily change options.

    Examples
    --------
    >>> import evalwidgets as ew
    >>> with ew.options(max_html_rows=10):
    ...     ew.get_option("max_html_rows")
    10
    """
    for k in kwargs:
        get_option(k)
    old = {k: _CURRENT[k] for k in kwargs}
    _CURRENT.update(kwargs)
    try:
        yield dict(_CURRENT)
    finally:
        _CURRENT.update(old)
