from m365bridge.cloud.graph.throttling import Throttle, Window


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_hourly_window_holds_after_the_minute_window_frees_up():
    clock = Clock()
    throttle = Throttle([Window(2, 60), Window(3, 3600)], clock=clock)
    assert [throttle.admit("app", "tenant") for _ in range(2)] == [None, None]
    assert throttle.admit("app", "tenant") == 60
    clock.now += 61
    assert throttle.admit("app", "tenant") is None
    wait = throttle.admit("app", "tenant")
    assert wait == 3600 - 61


def test_each_app_and_tenant_has_its_own_budget():
    throttle = Throttle([Window(1, 60)], clock=Clock())
    assert throttle.admit("app", "tenant") is None
    assert throttle.admit("app", "other tenant") is None
    assert throttle.admit("other app", "tenant") is None
    assert throttle.admit("app", "tenant") is not None
