"""evalharness: measure each fine-tuned checkpoint of a low-resource language model honestly before it ships."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evalharness")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
