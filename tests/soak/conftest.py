"""The soak tests' marker: ``-m "not soak"`` deselects them (they run by default)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "soak: the CI soak run against the simulated gateway (~2 min; deselect with "
                   "-m 'not soak'; the long run is `python -m tests.soak`, see tests/soak/README.md)")
