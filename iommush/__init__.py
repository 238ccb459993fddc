"""iommush: an interactive shell over a virtual /sys whose IOMMU files behave like Linux's."""

__version__ = "0.1.0"
__all__ = ["__version__"]
