"""``yinhu search ...``: the search index's admin commands (variants and synonyms, reindex)."""

from __future__ import annotations

import argparse
from typing import Any

from actors.feed import search
from actors.storage.instance import Instance
from web.cli.common import with_instance


@with_instance
async def cmd_search(args: argparse.Namespace, inst: Instance) -> int:
    if args.search_cmd == "reindex":
        print(f"indexed {await search.reindex_all(inst)} objects for search")
        return 0
    async with inst.engine.begin() as conn:
        if args.synonyms_cmd == "add":
            term, canonical = await search.add_synonym(conn, args.variant, args.canonical)
            print(f"{term} → {canonical}: a search for either finds both")
        elif args.synonyms_cmd == "remove":
            if not await search.remove_synonym(conn, args.variant):
                raise ValueError(f"no variant {args.variant!r} (yinhu search synonyms list)")
            print(f"removed {args.variant}")
        else:
            for term, canonical, shipped in await search.list_synonyms(conn):
                print(f"{term}\t{canonical}\t{'shipped' if shipped else 'added'}")
    return 0


def add_search_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("search", parents=[common], help="search: variants and synonyms, rebuild the index")
    ssub = s.add_subparsers(dest="search_cmd", required=True)
    ssub.add_parser("reindex", parents=[common], help="rebuild the whole search index from the stored objects")
    syn = ssub.add_parser("synonyms", parents=[common], help="variants and synonyms a search widens a word with")
    synsub = syn.add_subparsers(dest="synonyms_cmd", required=True)
    synsub.add_parser("list", parents=[common], help="list every variant and its canonical word")
    a = synsub.add_parser("add", parents=[common], help="make VARIANT find what CANONICAL finds (and back)")
    a.add_argument("variant")
    a.add_argument("canonical")
    r = synsub.add_parser("remove", parents=[common], help="forget a variant (shipped or added)")
    r.add_argument("variant")
    s.set_defaults(run=cmd_search)
