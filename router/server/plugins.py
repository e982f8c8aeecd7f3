"""The router's plugin chain: the built-in features the settings turn on, then the user's.

Every built-in feature that hooks a stage is a `Plugin` living in its stage's
package; this is the one place that lists them, in the order their hooks run
(the order the stages used to call them in). `router.yaml`'s `plugins:` come
after, in config order.
"""

from __future__ import annotations

from router.execution.plan_exposure import PlanExposurePlugin
from router.http.authentication.plugin import AuthenticationPlugin
from router.http.cors import CorsPlugin
from router.http.csrf import CsrfPlugin
from router.http.rate_limit import RateLimitPlugin
from router.plugins import Plugin, PluginChain, load_plugins
from router.request.persisted.plugin import PersistedQueriesPlugin
from router.request.redaction import RedactionPlugin
from router.settings import RouterSettings

__all__ = ["builtin_plugins", "plugin_chain"]


def builtin_plugins(settings: RouterSettings) -> list[Plugin]:
    # no hook: its middleware (when origins are listed) and the WebSocket Origin check
    plugins: list[Plugin] = [CorsPlugin(settings.security.cors)]
    if settings.csrf_enabled:
        plugins.append(CsrfPlugin(settings.security.csrf))
    auth = settings.auth
    if auth.jwt is not None or auth.authorization.require_authentication:
        plugins.append(AuthenticationPlugin(auth))
    if settings.traffic.rate_limit is not None:
        plugins.append(RateLimitPlugin(settings.traffic.rate_limit))
    plugins.append(PersistedQueriesPlugin(settings.persisted_queries))
    if not settings.subgraph_errors_included:
        plugins.append(RedactionPlugin())
    if settings.dev:
        plugins.append(PlanExposurePlugin())
    return plugins


def plugin_chain(settings: RouterSettings) -> PluginChain:
    """Built-ins first, then `settings.plugins` (raises `PluginError` on a bad one)."""
    return PluginChain([*builtin_plugins(settings), *load_plugins(settings.plugins)])
