"""Test support shipped with the package: the ``@pytest.mark.policy`` plugin."""
