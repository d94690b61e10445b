"""Packaging glue that pyproject.toml cannot express on its own.

mappings/ and schemas/ sit at the top of the repository because integration engineers edit them
there; the wheel ships them as gateway/_data/{mappings,schemas} so that `pip install .` finds them
(see gateway/primitives/resources.py).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["gateway", "gateway.*", "adapters", "adapters.*"]),
              "gateway._data.mappings", "gateway._data.schemas"],
    package_dir={"gateway._data.mappings": "mappings", "gateway._data.schemas": "schemas"},
    package_data={"gateway._data.mappings": ["*.json", "terminology/*.json"],
                  "gateway._data.schemas": ["*.json", "*.xsd"],
                  "gateway.playground": ["static/*"],
                  # Alembic renders new revisions from this template; not Python, so listed here.
                  "gateway.migrations": ["script.py.mako"]},
)
