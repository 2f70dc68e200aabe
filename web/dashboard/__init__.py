"""The organisers' web door: login, a dashboard per community, and forms for each kind.

The forms build the same JSON body the API and the CLI take and hand it to ``publish`` /
``update_object`` / ``delete_object``: validation lives only in ``actors.publishing.validation``. Images
are checked after the body validates (with placeholder media tokens), then stored, then the
body is published, so invalid content stores nothing. Every POST carries a CSRF token.

The pieces: ``forms`` (the fields of each kind, form ⇄ body ⇄ row), ``access`` (the session
gate, CSRF, capped form reading), ``accounts`` (login, logout, password, members),
``content`` (a community's dashboard, new / edit / delete), ``messages`` (the community's
inbox), ``followers`` and ``participants`` (an event's, with the CSV export and a private
message to all), ``submissions`` (待审核: decide and correct members' and visitors'
submissions), ``moderation`` (remove an item, ban and unban a person, with a reason) and
``settings`` (the submission policy, owners only).
"""

from starlette.routing import Route

from web.dashboard.accounts import login, logout, members, password
from web.dashboard.content import community, delete, edit, index, new, pin
from web.dashboard.followers import followers
from web.dashboard.messages import inbox
from web.dashboard.moderation import bans, remove_item
from web.dashboard.participants import participants, participants_csv
from web.dashboard.settings import settings
from web.dashboard.submissions import correct, queue

__all__ = ["routes"]


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/dashboard", index),
    Route("/dashboard/password", password, methods=["GET", "POST"]),
    Route("/dashboard/{slug}", community),
    Route("/dashboard/{slug}/members", members, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/inbox", inbox, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/followers", followers, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/submissions", queue, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/submissions/{id}", correct, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/remove", remove_item, methods=["POST"]),
    Route("/dashboard/{slug}/bans", bans, methods=["POST"]),
    Route("/dashboard/{slug}/settings", settings, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/events/{token}/participants", participants, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/events/{token}/participants.csv", participants_csv),
    Route("/dashboard/{slug}/new/{kind}", new, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/edit/{token}", edit, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/delete/{token}", delete, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/pin/{token}", pin, methods=["POST"]),
]
