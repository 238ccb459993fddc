"""IOMMU hardware drivers: each a small :class:`~iommush.kernel.hw.base.IommuOps`."""
