import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    return tmp_path_factory.mktemp("backend")
