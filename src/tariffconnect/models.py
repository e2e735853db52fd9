"""Imports every table module so Base.metadata is complete (migrations, tests)."""

from __future__ import annotations


def import_all_models() -> None:
    from tariffconnect.accounts import models as _accounts  # noqa: F401
    from tariffconnect.connect import models as _connect  # noqa: F401
    from tariffconnect.core import idempotency as _idempotency  # noqa: F401
    from tariffconnect.customers import models as _customers  # noqa: F401
    from tariffconnect.devices import models as _devices  # noqa: F401
    from tariffconnect.events import models as _events  # noqa: F401
    from tariffconnect.feeds import models as _feeds  # noqa: F401
    from tariffconnect.integrations import models as _integrations  # noqa: F401
    from tariffconnect.jobs import models as _jobs  # noqa: F401
    from tariffconnect.locations import models as _locations  # noqa: F401
    from tariffconnect.market import models as _market  # noqa: F401
    from tariffconnect.meters import models as _meters  # noqa: F401
    from tariffconnect.openadr import models as _openadr  # noqa: F401
    from tariffconnect.tariffs import library_models as _library  # noqa: F401
    from tariffconnect.tariffs import models as _tariffs  # noqa: F401
    from tariffconnect.webhooks import models as _webhooks  # noqa: F401
