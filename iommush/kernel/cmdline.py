"""Boot-time IOMMU options: ``iommu.passthrough=``, ``iommu.strict=``, ``iommu=pt|nopt``,
``intel_iommu=``, ``amd_iommu=`` (drivers/iommu/iommu.c ``iommu_subsys_init`` and the
early_param handlers, arch/x86/kernel/pci-dma.c, intel/iommu.c, amd/init.c).

>>> p = parse_cmdline("console=ttyS0 intel_iommu=on iommu.strict=1")
>>> (p.intel_iommu, p.strict, p.cmd_line_strict, p.passthrough)
(True, True, True, None)
"""

from __future__ import annotations

from .domain import (
    IOMMU_DOMAIN_DMA,
    IOMMU_DOMAIN_DMA_FQ,
    IOMMU_DOMAIN_IDENTITY,
    iommu_domain_type_str,
)

__all__ = ["BootParams", "IommuDefaults", "kstrtobool", "parse_cmdline", "iommu_subsys_init"]


def kstrtobool(text: str) -> bool | None:
    """``kstrtobool()``: 1/0, y/n, Y/N, on/off (case-insensitive first letters); None if bad."""
    if not text:
        return None
    c = text[0].lower()
    if c in "1y":
        return True
    if c in "0n":
        return False
    if c == "o" and len(text) > 1:
        if text[1].lower() == "n":
            return True
        if text[1].lower() == "f":
            return False
    return None


class BootParams:
    """What the command line says about IOMMUs, before any driver runs."""

    def __init__(self) -> None:
        #: ``iommu.passthrough=`` / ``iommu=pt|nopt``: True, False, or None (not given).
        self.passthrough: bool | None = None
        #: ``iommu.strict=``: True/False, None if not given.
        self.strict: bool | None = None
        self.cmd_line_strict = False
        #: ``intel_iommu=on|off`` (None: the config default, on).
        self.intel_iommu: bool | None = None
        self.intel_strict = False
        self.intel_igfx_off = False
        self.amd_iommu_off = False
        self.amd_fullflush = False
        self.forcedac = False
        #: Lines the early parameter handlers print, in order.
        self.early_log: list[str] = []

    def __repr__(self) -> str:
        return f"BootParams({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


def parse_cmdline(cmdline: str) -> BootParams:
    """Run the early_param handlers over ``cmdline`` in order (the last one wins)."""
    p = BootParams()
    for word in cmdline.split():
        key, _, val = word.partition("=")
        if key == "iommu.passthrough":
            b = kstrtobool(val)
            if b is not None:
                p.passthrough = b
        elif key == "iommu.strict":
            b = kstrtobool(val)
            if b is not None:
                p.strict = b
                p.cmd_line_strict = True
        elif key == "iommu.forcedac":
            p.forcedac = bool(kstrtobool(val))
        elif key == "iommu":
            for opt in val.split(","):
                if opt == "pt":
                    p.passthrough = True
                elif opt == "nopt":
                    p.passthrough = False
        elif key == "intel_iommu":
            for opt in val.split(","):
                if opt == "on":
                    p.intel_iommu = True
                elif opt == "off":
                    p.intel_iommu = False
                elif opt == "strict":
                    p.early_log.append(
                        "DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead"
                    )
                    p.intel_strict = True
                elif opt == "igfx_off":
                    p.intel_igfx_off = True
        elif key == "amd_iommu":
            for opt in val.split(","):
                if opt == "off":
                    p.amd_iommu_off = True
                elif opt == "fullflush":
                    p.early_log.append(
                        "AMD-Vi: amd_iommu=fullflush deprecated; use iommu.strict=1 instead"
                    )
                    p.amd_fullflush = True
    if p.intel_iommu is True:
        p.early_log.append("DMAR: IOMMU enabled")
    elif p.intel_iommu is False:
        p.early_log.append("DMAR: IOMMU disabled")
    return p


class IommuDefaults:
    """``iommu_def_domain_type``, ``iommu_dma_strict`` and ``iommu_cmd_line``."""

    def __init__(
        self, def_domain_type: int, dma_strict: bool, cmd_line_dma_api: bool, cmd_line_strict: bool
    ) -> None:
        self.def_domain_type = def_domain_type
        self.dma_strict = dma_strict
        self.cmd_line_dma_api = cmd_line_dma_api
        self.cmd_line_strict = cmd_line_strict

    def __repr__(self) -> str:
        return f"IommuDefaults({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def iommu_set_dma_strict(self) -> None:
        """``iommu_set_dma_strict()``: strict, and a DMA-FQ global default becomes DMA."""
        self.dma_strict = True
        if self.def_domain_type == IOMMU_DOMAIN_DMA_FQ:
            self.def_domain_type = IOMMU_DOMAIN_DMA


def iommu_subsys_init(
    p: BootParams, *, trailing_space: bool, default_passthrough: bool = False
) -> tuple[IommuDefaults, list[str]]:
    """``iommu_subsys_init()``: the global default type and its two boot log lines.

    Debian's configs: ``CONFIG_IOMMU_DEFAULT_DMA_LAZY`` on x86 (not strict), not
    passthrough. v6.1/6.2 use ``"%s %s\\n"`` (a trailing space when the suffix is empty).
    """
    cmd_dma_api = p.passthrough is not None
    if cmd_dma_api:
        dtype = IOMMU_DOMAIN_IDENTITY if p.passthrough else IOMMU_DOMAIN_DMA
    else:
        dtype = IOMMU_DOMAIN_IDENTITY if default_passthrough else IOMMU_DOMAIN_DMA
    strict = bool(p.strict) if p.strict is not None else False
    d = IommuDefaults(dtype, strict, cmd_dma_api, p.cmd_line_strict)
    if p.intel_strict or p.amd_fullflush:
        d.iommu_set_dma_strict()
    if d.def_domain_type == IOMMU_DOMAIN_DMA and not d.dma_strict:
        d.def_domain_type = IOMMU_DOMAIN_DMA_FQ

    def suffix(flag: bool) -> str:
        if trailing_space:
            return " (set via kernel command line)" if flag else " "
        return " (set via kernel command line)" if flag else ""

    lines = [
        f"iommu: Default domain type: {iommu_domain_type_str(d.def_domain_type)}"
        f"{suffix(cmd_dma_api)}"
    ]
    if d.def_domain_type != IOMMU_DOMAIN_IDENTITY:
        mode = "strict" if d.dma_strict else "lazy"
        lines.append(
            f"iommu: DMA domain TLB invalidation policy: {mode} mode{suffix(p.cmd_line_strict)}"
        )
    return d, lines
