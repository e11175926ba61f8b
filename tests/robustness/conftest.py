"""Generated hostile input (hypothesis): every run tries fresh examples, and a failing one is
printed with the seed that reproduces it (`--hypothesis-seed=N`)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# The service answers over real HTTP against a real database: an example takes milliseconds, not
# microseconds, and the fixtures (service, emulator) live across examples by design.
settings.register_profile(
    "service", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("service")
