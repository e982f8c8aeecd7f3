"""The Chorus CLI and stack configuration (sits on top; nothing imports it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chorus")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
