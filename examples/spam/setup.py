"""Build script for the spam example extension.

spam is the sample extension that heaplint's README lints.  It contains
deliberate allocator bugs (see README.md), so build it only to reproduce
them, e.g. with PYTHONMALLOC=debug.
"""
from setuptools import Extension, setup

setup(
    name="spam",
    version="0.3.1",
    description="Sample CPython extension with seeded allocator bugs (heaplint example)",
    python_requires=">=3.10",
    ext_modules=[
        Extension(
            "spam",
            sources=["spammodule.c", "spamobjects.c", "spamio.c", "spamutil.c"],
            depends=["spam.h"],
        )
    ],
)
