import pytest

from coproduce.safetynet.rules import sync_rules


@pytest.fixture
def rules(db):
    """The shipped rule files, loaded as Rule rows."""
    return sync_rules()


@pytest.fixture
def staffed(world):
    """The world, with e-mail addresses and a clinician on team A for notifications."""
    from coproduce.people.models import Role
    from tests import factories

    for user in (world.nina, world.cora):
        user.email = f"{user.username}@example.org"
        user.save()
    world.jo = factories.make_user(Role.CLINICIAN, username="jo", teams=[world.team_a])
    world.jo.email = "jo@example.org"
    world.jo.save()
    return world
