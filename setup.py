"""setup.py exists only for cffi_modules: everything else is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["iommush/iova/_build.py:ffibuilder"])
