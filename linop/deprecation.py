"""Deprecated names kept for one release: one helper for renamed keywords and one for moved names.

linop renames a keyword, a function or a module only with a deprecated alias that keeps
working for one release and says, in a :class:`DeprecationWarning`, what to use instead.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["deprecated_alias", "moved_module", "moved_names", "renamed_keyword", "warn_deprecated"]

F = TypeVar("F", bound=Callable[..., Any])

#: The release after which the deprecated aliases go.
REMOVED_IN = "0.4"


def warn_deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new``.

    Parameters
    ----------
    old, new : str
        What the caller used and what to use instead.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn` (3: the caller of the deprecated function).

    Examples
    --------
    >>> import warnings
    >>> from linop.deprecation import warn_deprecated
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_deprecated("mode=", "boundary=")
    >>> print(caught[0].message)
    mode= is deprecated and will be removed in linop 0.4; use boundary= instead
    """
    warnings.warn(
        f"{old} is deprecated and will be removed in linop {REMOVED_IN}; use {new} instead",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed_keyword(old: str, new: str) -> Callable[[F], F]:
    """Decorator: the keyword ``old`` still works as ``new``, with a deprecation warning.

    Parameters
    ----------
    old, new : str
        The former and the current name of the keyword.

    Returns
    -------
    callable
        The decorator.

    Raises
    ------
    TypeError
        From the decorated function, when both names are given.

    Examples
    --------
    >>> from linop.deprecation import renamed_keyword
    >>> @renamed_keyword("mode", "boundary")
    ... def fold(i, boundary="constant"):
    ...     return boundary
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fold(3, mode="wrap")
    'wrap'
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if old in kwargs:
                if new in kwargs:
                    raise TypeError(f"{function.__name__}() got both {new}= and its deprecated name {old}=")
                name = function.__qualname__.removesuffix(".__init__")
                warn_deprecated(f"{name}({old}=...)", f"{new}=")
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def deprecated_alias(function: F, old_name: str) -> F:
    """``function`` under its former name ``old_name``, warning at every call.

    Parameters
    ----------
    function : callable
        The function under its current name.
    old_name : str
        The former name (qualified, as users wrote it).

    Returns
    -------
    callable
        A wrapper that warns, then calls ``function``.

    Examples
    --------
    >>> from linop.deprecation import deprecated_alias
    >>> old = deprecated_alias(abs, "linop.old_abs")
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     old(-2)
    2
    """
    new_name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warn_deprecated(old_name, new_name)
        return function(*args, **kwargs)

    wrapper.__doc__ = f"Deprecated alias of :func:`{new_name}` (removed in linop {REMOVED_IN})."
    return wrapper  # type: ignore[return-value]


def moved_names(module_name: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved: ``{old name: "new.module:name"}``.

    A module that lost names to another keeps them reachable for one release with
    ``__getattr__ = moved_names(__name__, {...})``: the first access imports the new home
    (so a move never creates an import at load time) and warns.

    Parameters
    ----------
    module_name : str
        The module that lost the names (``__name__``).
    names : dict of str to str
        Each former name and its new home, ``"package.module:name"``.

    Returns
    -------
    callable
        The module's ``__getattr__``.

    Examples
    --------
    >>> from linop.deprecation import moved_names
    >>> getattr_ = moved_names("linop.example", {"old_sqrt": "math:sqrt"})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     getattr_("old_sqrt")(4.0)
    2.0
    """

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        warn_deprecated(f"{module_name}.{name}", f"{module}.{attribute}")
        import importlib

        return getattr(importlib.import_module(module), attribute)

    return __getattr__


def moved_module(module_name: str, new_module: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for a module that was renamed: every name is read from ``new_module``.

    The old module keeps working for one release with
    ``__getattr__ = moved_module(__name__, "linop.new.home")``; each name it is asked for is
    imported from the new home (on first access, never at load time) with a warning.

    Parameters
    ----------
    module_name : str
        The former module (``__name__``).
    new_module : str
        Its new dotted name.

    Returns
    -------
    callable
        The module's ``__getattr__``.

    Examples
    --------
    >>> from linop.deprecation import moved_module
    >>> getattr_ = moved_module("linop.example", "math")
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     getattr_("sqrt")(9.0)
    3.0
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        import importlib

        module = importlib.import_module(new_module)
        value = getattr(module, name)  # AttributeError for a name the new module lacks too
        warn_deprecated(f"the module {module_name}", new_module)
        return value

    return __getattr__
