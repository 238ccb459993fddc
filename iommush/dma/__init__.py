"""iommush.dma: the ``dma`` command, a driver's view of the kernel model's DMA API
(map, unmap, list, the IOVA space as an address map, workloads).

>>> table = dma_commands()
>>> table.get("dma").synopsis.split()[0]
'dma'
"""

from __future__ import annotations

from iommush.shell.command import CommandTable

__all__ = ["dma_commands"]


def dma_commands() -> CommandTable:
    """A table holding the ``dma`` command (its module loaded on first use), for the
    CLI to merge into its own."""
    table = CommandTable()
    table.lazy_function(
        "dma",
        "iommush.dma.command:dma",
        help_from="iommush.dma.command:USAGE",
        synopsis="dma map|unmap|list|space|workload BDF ...",
        summary="use the DMA API as a bound driver does (IOVA allocation, flush queue)",
        options=(
            "map",
            "unmap",
            "list",
            "space",
            "map-show",
            "workload",
            "--mask",
            "--size",
            "--seed",
            "--all",
            "--keep",
        ),
    )
    return table
