"""``yinhu demo``: the whole Yinhu network on 127.0.0.1 in one command.

Three instances run as real ``yinhu serve`` processes (``sys.executable -m web.cli``), each
with its own data directory under DIR:

* **east** (base port): 银湖读书会, 银湖创客空间, 二手市集
* **west** (base + 1): 银湖花园小区, 银湖科技园 (both offer venues), 篮球之友
* **feed** (base + 2): the aggregator; its feed actor ``@yinhu`` follows all six communities

Sequence: initialise the instances, create the communities, publish the sample content of
``web/cli/demo/data/`` (dates relative to today in Asia/Shanghai, small generated JPEG banners),
start the servers, follow from the aggregator with ``yinhu follow`` (so it shows backfilled
items), wait for the Accepts and the backfill, publish two items live with ``yinhu publish``
(to show a push arriving), print a summary and stream the servers' logs until Ctrl-C or
SIGTERM. On exit the servers are stopped (terminate, 10 s, kill) and nothing stays running.

Setup runs in this process through the same library calls as ``yinhu init``, ``community
create``, ``publish`` and ``account create`` (about forty publishes would otherwise start as
many interpreters); following and the live publishes go through the real CLI.
"""

from web.cli.demo.command import add_demo_command, run
from web.cli.demo.seed import content_plan, event_times, resolve_day

__all__ = ["add_demo_command", "content_plan", "event_times", "resolve_day", "run"]
