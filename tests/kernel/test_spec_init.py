"""The spec classes whose ``__init__`` is written out take exactly their fields, with
the fields' defaults, as the generated one would."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from iommush.kernel import spec as S

_CLASSES = [
    S.PciFunctionSpec,
    S.PlatformDeviceSpec,
    S.IommuUnitSpec,
    S.ReservedRegionSpec,
    S.GroupSpec,
    S.DriverSpec,
    S.MachineSpec,
]


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda c: c.__name__)
def test_init_takes_the_fields_with_their_defaults(cls: type) -> None:
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    required = {}
    for f, p in zip(fields, params, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            # a written-out __init__ takes None for "not given"
            assert p.default is None or repr(p.default) == "<factory>", f.name
        else:
            assert p.default is inspect.Parameter.empty, f.name
            required[f.name] = 1
    a, b = cls(**required), cls(**required)
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(a, f.name) == f.default_factory()
            assert getattr(a, f.name) is not getattr(b, f.name)
        elif f.default is not dataclasses.MISSING:
            assert getattr(a, f.name) == f.default
    assert a == b and dataclasses.replace(a) == a
    assert repr(a).startswith(f"{cls.__name__}(")
