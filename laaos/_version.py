"""The version of laaos (``laaos.__version__``), apart so that its modules read it without
importing the package's ``__init__``."""

__version__ = "3.0.0"
