"""clm: contract lifecycle management, from clause library to cash."""

__version__ = "0.1.0"
