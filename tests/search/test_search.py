"""Chinese search (actors.feed.search) on the district fixture, on SQLite and PostgreSQL.

Right answers are stored in the fixture by item id (fixtures/make_fixture.py says how they
were decided); the result set of each query must equal them, no more, no less.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from actors.feed import search
from actors.feed.remote_objects import delete_remote_object, store_remote_object
from actors.publishing.publishing import delete_object, publish, update_object
from actors.social.local import create_community
from actors.storage.models import actors, objects
from tests.conftest import Fediverse, Node
from tests.search.conftest import Loaded, load_fixture

EXPECTED = load_fixture()["expected"]


async def keys(loaded: Loaded, query: str, **kw: object) -> list[str]:
    async with loaded.engine.connect() as conn:
        hits = await search.search(conn, query, limit=500, **kw)  # type: ignore[arg-type]
    return loaded.keys([h.id for h in hits])


# --- tokens ---------------------------------------------------------------------------------


def test_tokens_are_bigrams_for_cjk_and_words_for_latin() -> None:
    assert search.tokenize("周六篮球 Python编程") == ["周六", "六篮", "篮球", "球", "python", "编程", "程"]
    assert search.tokenize("Ｐｙｔｈｏｎ１２３，ＡＢＣ") == ["python123", "abc"]  # full-width folded
    assert search.tokenize("书") == ["书"]
    assert [t.text for t in search.query_terms("英语角 English")] == ["英语", "语角", "english"]
    assert search.query_terms("书") == [search.Term("书", prefix=True)]
    for blank in ("", "   ", "，。！？", "\"'*-()", "\u3000"):
        assert search.query_terms(blank) == []


# --- right answers --------------------------------------------------------------------------


@pytest.mark.parametrize("query", sorted(EXPECTED))
async def test_result_set_equals_the_right_answers(loaded: Loaded, query: str) -> None:
    found = await keys(loaded, query)
    assert len(found) == len(set(found))
    assert sorted(found) == sorted(loaded.expected[query])
    assert found, "every fixture query has answers"


async def test_basketball_finds_the_basketball_items_titles_first(loaded: Loaded) -> None:
    async with loaded.engine.connect() as conn:
        hits = await search.search(conn, "篮球", limit=100)
    found = loaded.keys([h.id for h in hits])
    in_title = [k for k in found if "篮球" in (loaded.items[k].get("title") or "")]
    assert len(in_title) >= 12
    assert found[: len(in_title)] == in_title  # every title match ranks above every body match
    assert all(h.title_match for h in hits[: len(in_title)]) and not any(h.title_match for h in hits[len(in_title):])
    assert {loaded.items[k]["theme"] for k in found} >= {"basketball"}
    # the sports fair mentions 篮球 only in its text: found, but after the titles
    assert "周末运动嘉年华" in [loaded.items[k].get("title") for k in found[len(in_title):]]


async def test_two_character_words(loaded: Loaded) -> None:
    second_hand = await keys(loaded, "二手")
    assert {loaded.items[k]["kind"] for k in second_hand} == {"listing", "event"}
    assert all(loaded.items[k]["theme"] in {"secondhand", "reading", "basketball", "python"} for k in second_hand)
    reading = await keys(loaded, "读书")
    titles = [loaded.items[k].get("title") or "" for k in reading]
    assert "作家读者见面会" not in titles  # 读者 is not 读书
    assert all(loaded.items[k]["theme"] == "reading" for k in reading)
    yoga = await keys(loaded, "瑜伽")
    assert all(loaded.items[k]["theme"] in {"yoga", "secondhand"} for k in yoga)  # and the 瑜伽垫 for sale
    kids = await keys(loaded, "亲子")
    assert sum(loaded.items[k]["theme"] == "kids" for k in kids) >= 11


async def test_single_character_matches_anywhere(loaded: Loaded) -> None:
    found = {loaded.items[k].get("title") for k in await keys(loaded, "书")}
    # 书 at the start of a run (书法), inside one (读书会, 书店) and at its end (二手书转让 《…》: "二手书")
    assert {"少儿书法兴趣班", "湖滨独立书店"} <= found
    assert any(t and t.startswith("二手书转让") for t in found)
    assert any(t and "读书会" in t for t in found)
    assert "广场舞队招新" not in found


async def test_mixed_and_english_queries(loaded: Loaded) -> None:
    python = {loaded.items[k].get("title") for k in await keys(loaded, "Python 编程")}
    assert "Python 编程入门" in python and "少儿图形化编程 Scratch" not in python
    assert {loaded.items[k].get("title") for k in await keys(loaded, "python")} >= {"Ｐｙｔｈｏｎ 数据分析工作坊"}
    assert await keys(loaded, "PYTHON") == await keys(loaded, "python")
    assert await keys(loaded, "ｙｏｇａ") == await keys(loaded, "yoga")
    assert sorted(await keys(loaded, "English 英语角")) == sorted(EXPECTED["英语角 English"])


async def test_no_match_is_empty(loaded: Loaded) -> None:
    assert await keys(loaded, "量子力学") == []
    assert await keys(loaded, "kubernetes") == []
    assert await keys(loaded, "篮球 瑜伽 维修") == []


@pytest.mark.parametrize(
    "query",
    ['"', "*", "AND", "OR", "NOT", "NEAR", 'NEAR(', '篮球"', ")(", "-", ":", "^", "title:篮球", "篮球 OR 瑜伽",
     "'", "\\", "a'b", "''篮球''", "!", "&", "|", "篮球 & 瑜伽", "<->", "%", "_", "{}", "col:*", "   ", "", "，。",
     "\x00", "篮" * 200, "a " * 500],
)
async def test_hostile_input_never_raises(loaded: Loaded, query: str) -> None:
    found = await keys(loaded, query)
    assert isinstance(found, list)
    if query in ('"', "*", ")(", "-", ":", "^", "   ", "", "，。", "'", "\\", "!", "&", "|", "<->", "%", "_", "{}"):
        assert found == []
    if query in ('篮球"', "title:篮球", "''篮球''"):
        assert sorted(found) == sorted(EXPECTED["篮球"]) or query == "title:篮球"


async def test_filters_limit_and_offset(loaded: Loaded) -> None:
    events = await keys(loaded, "篮球", filters=objects.c.kind == "event")
    assert events and all(loaded.items[k]["kind"] == "event" for k in events)
    everything = await keys(loaded, "二手")
    async with loaded.engine.connect() as conn:
        page1 = await search.search(conn, "二手", limit=5)
        page2 = await search.search(conn, "二手", limit=5, offset=5)
        assert await search.search(conn, "二手", limit=0) == []
    assert loaded.keys([h.id for h in page1 + page2]) == everything[:10]


# --- highlights -----------------------------------------------------------------------------


def test_highlight_marks_and_escapes() -> None:
    assert search.highlight("周六打篮球，篮球场见", "篮球") == "周六打<mark>篮球</mark>，<mark>篮球</mark>场见"
    # overlapping bigrams of a longer query merge into one mark
    assert search.highlight("欢迎来英语角练口语", "英语角") == "欢迎来<mark>英语角</mark>练口语"
    assert search.highlight("学Python编程和pythonic写法", "python 编程") == "学<mark>Python</mark><mark>编程</mark>和pythonic写法".replace(
        "</mark><mark>", ""
    )
    assert search.highlight("<b>篮球</b> & 足球", "篮球") == "&lt;b&gt;<mark>篮球</mark>&lt;/b&gt; &amp; 足球"
    assert search.highlight("Ｐｙｔｈｏｎ 课", "python") == "<mark>Ｐｙｔｈｏｎ</mark> 课"
    assert search.highlight("读书", "书") == "读<mark>书</mark>"
    assert search.highlight("没有匹配", "篮球") == "没有匹配"
    assert search.highlight("", "篮球") == "" and search.highlight("篮球", "") == "篮球"


def test_highlight_snippet_around_first_match() -> None:
    text = "银湖" * 100 + "周六篮球友谊赛" + "湖滨" * 100
    out = search.highlight(text, "篮球", width=40)
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>篮球</mark>" in out
    assert len(out.replace("<mark>", "").replace("</mark>", "")) <= 42


async def test_hit_highlight_keeps_script_escaped(loaded: Loaded) -> None:
    async with loaded.engine.connect() as conn:
        hits = await search.search(conn, "篮球", limit=100)
        rows = {r.id: r for r in await conn.execute(select(objects).where(objects.c.id.in_([h.id for h in hits])))}
    from actors.storage.text import html_to_text

    scripted = [h for h in hits if "<script>" in html_to_text(rows[h.id].content)]
    assert len(scripted) == 1
    out = scripted[0].highlight(html_to_text(rows[scripted[0].id].content))
    assert "<script>" not in out and "&lt;script&gt;" in out and "<mark>篮球</mark>" in out


# --- keeping the index in sync --------------------------------------------------------------


async def _ids(engine, query: str) -> list[int]:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return [h.id for h in await search.search(conn, query)]


async def _object_id(engine, uri: str) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return (await conn.execute(select(objects.c.id).where(objects.c.uri == uri))).scalar_one()


async def test_publish_update_delete_keep_the_index_exact(fed: Fediverse) -> None:
    node = await fed.yinhu("a.test")
    await create_community(node.inst, "hoops", name="银湖运动社")
    engine = node.inst.engine
    event = await publish(node.inst, "hoops", {
        "type": "event", "title": "周六夜场篮球", "content": "水平不限，#三对三 欢迎新人",
        "start": "2030-05-04T19:00", "timezone": "Asia/Shanghai",
        "place": {"name": "银湖篮球场", "address": "银湖路 88 号"},
    })
    note = await publish(node.inst, "hoops", {"type": "note", "content": "有人周日打羽毛球吗？"})
    event_id, note_id = await _object_id(engine, event.uri), await _object_id(engine, note.uri)
    assert await _ids(engine, "篮球") == [event_id]
    assert await _ids(engine, "三对三") == [event_id]  # a hashtag of the text
    assert await _ids(engine, "银湖路") == [event_id]  # the address
    assert sorted(await _ids(engine, "运动社")) == sorted([event_id, note_id])  # the community's name
    assert await _ids(engine, "羽毛球") == [note_id]

    await update_object(node.inst, event.uri, {
        "type": "event", "title": "周六夜场瑜伽", "content": "请自带垫子",
        "start": "2030-05-04T19:00", "timezone": "Asia/Shanghai",
    })
    assert await _ids(engine, "夜场 篮球") == []
    assert await _ids(engine, "瑜伽") == [event_id]
    assert await _ids(engine, "三对三") == []

    await delete_object(node.inst, note.uri)
    assert await _ids(engine, "羽毛球") == []
    await delete_object(node.inst, event.uri)
    assert await _ids(engine, "瑜伽") == []


async def _far_group(node: Node, username: str, name: str) -> Any:
    """A remote Group actor ``http://far.test/c/<username>`` stored on ``node``; its actors row."""
    now = node.inst.clock()
    uri = f"http://far.test/c/{username}"
    async with node.inst.engine.begin() as conn:
        await conn.execute(actors.insert().values(
            uri=uri, local=False, type="Group", username=username, domain="far.test",
            name=name, summary="", created_at=now, updated_at=now,
        ))
        return (await conn.execute(select(actors).where(actors.c.uri == uri))).one()


async def test_remote_objects_are_indexed_updated_and_removed(fed: Fediverse) -> None:
    node = await fed.yinhu("a.test")
    engine = node.inst.engine
    author = await _far_group(node, "market", "远方二手市集")
    doc = {"id": "http://far.test/o/1", "type": "Note", "attributedTo": author.uri,
           "content": "<p>出一台九成新的<b>电饭煲</b></p>", "published": "2030-01-01T00:00:00Z"}
    assert await store_remote_object(node.inst, author, doc) == "stored"
    object_id = await _object_id(engine, doc["id"])
    assert await _ids(engine, "电饭煲") == [object_id]
    assert await _ids(engine, "二手市集") == [object_id]  # the community's name

    changed = {**doc, "content": "<p>电饭煲已出，改送绿萝</p>", "updated": "2030-01-02T00:00:00Z"}
    assert await store_remote_object(node.inst, author, changed) == "updated"
    assert await _ids(engine, "绿萝") == [object_id]
    assert await _ids(engine, "九成新") == []

    assert await delete_remote_object(node.inst, author, doc["id"]) == "deleted"
    assert await _ids(engine, "绿萝") == []


async def test_reindex_all_rebuilds_from_the_objects(fed: Fediverse) -> None:
    node, kept, _gone = await fed.kept_and_deleted("本月共读《边城》", "本月共读《围城》", name="银湖读书会")
    async with node.inst.engine.begin() as conn:
        await conn.execute(text("DELETE FROM search_index"))
    assert await _ids(node.inst.engine, "共读") == []
    assert await search.reindex_all(node.inst, batch=1) == 1
    assert await _ids(node.inst.engine, "共读") == [await _object_id(node.inst.engine, kept.uri)]


# --- words, variants, synonyms (issue 16) ---------------------------------------------------


def test_queries_are_cut_into_words() -> None:
    words = lambda q: [w.text for w in search.query_words(q)]
    assert words("周末亲子活动") == ["周末", "亲子", "活动"]  # 亲子活动 is tiled by its parts
    assert words("周末的亲子活动") == ["周末", "亲子", "活动"]  # 的 is not needed
    assert words("湖滨公园瑜伽") == ["湖滨", "公园", "瑜伽"]
    assert words("二手书") == ["二手书"]  # 二手 + 书 is not a tiling by its parts: kept whole
    assert words("Python编程") == ["python", "编程"]
    assert words("的") == ["的"]  # a stopword alone is still a query
    assert words("我想买二手单车") == ["二手", "单车"]
    assert words("二手 书") == ["二手", "书"]  # a one-character word that is not a stopword counts
    assert words("，。") == [] and words("") == []
    synonyms = search.Synonyms.of(search.shipped_synonyms())
    mat = search.query_words("瑜珈垫", synonyms)  # a known variant is kept whole inside a run
    assert [w.text for w in mat] == ["瑜珈", "垫"] and "瑜伽" in mat[0].forms
    assert set(search.query_words("单车", synonyms)[0].forms) == {"单车", "自行车", "脚踏车"}
    assert set(search.query_words("自行车", synonyms)[0].forms) == {"单车", "自行车", "脚踏车"}


async def test_the_query_as_typed_comes_first(loaded: Loaded) -> None:
    async with loaded.engine.connect() as conn:
        hits = await search.search(conn, "周末亲子活动", limit=100)
    titles = [loaded.items[k].get("title") for k in loaded.keys([h.id for h in hits])]
    assert titles[:2] == ["周末亲子活动：湖滨公园寻宝", "十二月社区活动预告"]  # phrase in title, then in text
    assert sorted(titles[2:]) == sorted(["亲子烘焙课", "绘本共读：亲子场"])  # the words apart
    assert [h.phrase for h in hits] == [True, True, False, False]
    assert "周末篮球友谊赛" not in titles  # no 亲子


async def test_automatic_hashtags_are_not_an_items_words(loaded: Loaded) -> None:
    second_hand = {loaded.items[k].get("title") for k in await keys(loaded, "二手")}
    assert "求购全新婴儿床" not in second_hand and "全新空气炸锅" not in second_hand
    assert "旧书一箱" in second_hand  # its author tagged it 二手 too
    assert await keys(loaded, "闲置 炸锅") == []
    assert {loaded.items[k].get("title") for k in await keys(loaded, "炸锅")} == {"全新空气炸锅"}


async def test_admins_extend_the_synonyms(loaded: Loaded) -> None:
    async with loaded.engine.begin() as conn:
        assert ("瑜珈", "瑜伽", True) in await search.list_synonyms(conn)
        assert await keys(loaded, "绿植") == []
        assert await search.add_synonym(conn, " 绿植 ", "绿萝") == ("绿植", "绿萝")
        # a canonical that is itself a variant is followed: no chains
        assert await search.add_synonym(conn, "脚车", "单车") == ("脚车", "自行车")
        for bad in [("", "x"), ("a b", "c"), ("<b>", "x"), ("绿萝", "绿萝"), ("x" * 40, "y"), ("自行车", "车子")]:
            with pytest.raises(search.SynonymError):
                await search.add_synonym(conn, *bad)
    found = {loaded.items[k].get("title") for k in await keys(loaded, "绿植")}
    assert found and all("绿萝" in t for t in found)
    assert set(await keys(loaded, "脚车")) == set(await keys(loaded, "单车"))
    async with loaded.engine.begin() as conn:
        assert await search.remove_synonym(conn, "绿植") is True
        assert await search.remove_synonym(conn, "绿植") is False
        assert await search.remove_synonym(conn, "瑜珈") is True  # shipped ones too
    assert await keys(loaded, "绿植") == []
    assert {loaded.items[k].get("title") for k in await keys(loaded, "瑜珈")} == {"瑜珈垫低价转让"}


async def test_zero_results_suggest_the_nearest_query(loaded: Loaded) -> None:
    async with loaded.engine.connect() as conn:
        assert await search.search(conn, "周六篮球") == []
        assert await search.suggest(conn, "周六篮球") == ("篮球", 19)  # a word dropped; the one finding more kept
        assert await search.suggest(conn, "篮秋") == ("篮球", 19)  # one character from a known word
        assert await search.suggest(conn, "量子力学") is None
        assert await search.suggest(conn, "") is None
        # the filters count: one basketball listing
        assert await search.suggest(conn, "周六篮球", filters=objects.c.kind == "listing") == ("篮球", 1)


async def test_a_received_listing_is_found_by_its_own_words_not_its_automatic_hashtags(fed: Fediverse) -> None:
    from fedi.content import ListingData, listing_to_ap

    node = await fed.yinhu("a.test")
    engine = node.inst.engine
    author = await _far_group(node, "hood", "远方邻里")
    docs = {
        "request": ListingData(id="http://far.test/o/1", url="http://far.test/o/1", actor_id=author.uri, kind="goods",
                               purpose="request", title="求购全新婴儿床", content_html="<p>要全新未拆封的</p>", language="zh-CN"),
        "offer": ListingData(id="http://far.test/o/2", url="http://far.test/o/2", actor_id=author.uri, kind="goods",
                             purpose="offer", title="旧书转让", content_html="<p>一箱小说</p>", tags=["二手"], language="zh-CN"),
    }
    ids = {}
    for key, listing in docs.items():
        doc = listing_to_ap(listing, followers=author.uri + "/followers", tag_href=None)
        assert "#二手" in doc["content"]  # Mastodon readers still see the hashtags
        assert await store_remote_object(node.inst, author, doc) == "stored"
        ids[key] = await _object_id(engine, listing.id)
    assert await _ids(engine, "婴儿床") == [ids["request"]]
    assert await _ids(engine, "求购") == [ids["request"]]  # in its title
    # the request carries 二手 only as an automatic hashtag; the offer's author chose it
    # (sent as its own keyword), so only the offer counts as second-hand, by search and by tag
    assert await _ids(engine, "二手") == [ids["offer"]]
    async with engine.connect() as conn:
        tags = dict((await conn.execute(select(objects.c.id, objects.c.tags).where(objects.c.id.in_(list(ids.values()))))).all())
    assert tags == {ids["request"]: None, ids["offer"]: "二手"}
