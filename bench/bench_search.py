"""Chinese search benchmark: 100,000 objects, index build rate and query latency.

    .venv/bin/python bench/bench_search.py [--objects 100000] [--queries 200]

Builds a temporary SQLite database (and, when YINHU_TEST_POSTGRES names a server database,
a temporary PostgreSQL database, dropped afterwards) migrated to head, fills ``objects`` with
synthetic Chinese items written from a vocabulary of a few hundred words (the search
fixture's own words among them), indexes them with ``actors.feed.search``, then runs queries of
one, two and four CJK characters, mixed Chinese/English, several words typed without spaces
(cut into words by rjieba) and variants/synonyms (widened from the search_synonyms table), and
prints a table of p50/p95. Target (issue 4, kept by issue 16): p95 under 100 ms on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from actors.feed import search
from actors.storage import migrate
from actors.storage.db import create_engine
from actors.storage.models import actors, objects

WORDS = ["读书会", "篮球", "二手", "瑜伽", "亲子", "维修", "英语角", "编程", "社区", "活动", "周末", "周六", "周日", "晚上", "上午", "下午", "报名", "免费", "欢迎", "邻居", "小区", "银湖", "湖滨", "公园", "图书馆", "文化站", "活动中心", "青少年宫", "志愿者", "老师", "孩子", "家长", "老人", "朋友", "新人", "分享", "交流", "学习", "体验", "手工", "烘焙", "绘本", "阅读", "写作", "书法", "绘画", "摄影", "音乐", "合唱", "舞蹈", "广场舞", "跑步", "羽毛球", "乒乓球", "足球", "游泳", "健身", "太极", "徒步", "骑行", "露营", "野餐", "观鸟", "种菜", "花园", "绿植", "多肉", "宠物", "猫咪", "狗狗", "领养", "环保", "垃圾分类", "旧衣", "回收", "跳蚤市场", "闲置", "出售", "转让", "求购", "赠送", "自提", "九成新", "全新", "搬家", "处理", "电饭煲", "冰箱", "洗衣机", "空调", "沙发", "书桌", "椅子", "自行车", "电动车", "婴儿车", "滑板车", "玩具", "童书", "课本", "教材", "吉他", "钢琴", "显示器", "电脑", "手机", "平板", "相机", "耳机", "上门", "水电", "家电", "开锁", "保洁", "家政", "月嫂", "托管", "辅导", "作业", "数学", "语文", "英语", "口语", "日语", "围棋", "象棋", "桥牌", "编织", "刺绣", "插花", "茶艺", "咖啡", "美食", "饺子", "月饼", "粽子", "年货", "春节", "中秋", "端午", "元宵", "灯谜", "游园会", "义诊", "血压", "体检", "健康", "讲座", "安全", "消防", "演练", "防诈骗", "法律", "咨询", "社保", "医保", "养老", "助餐", "食堂", "菜市场", "超市", "快递", "停车", "物业", "业主", "会议", "投票", "场地", "会议室", "多功能厅", "茶室", "屋顶", "预约", "容纳", "投影", "空调", "停车位", "无障碍", "更衣室", "淋浴", "灯光", "室内", "室外", "报名费", "AA", "每人", "元", "名额", "有限", "提前", "准时", "集合", "地点", "时间", "联系", "微信", "群", "电话", "门口", "北门", "南门", "东门", "西门", "附近", "地铁站", "夜场", "比赛", "友谊赛", "联赛", "训练", "教练", "裁判", "队员", "招募", "组队", "约球", "球衣", "球鞋", "瑜伽垫", "哑铃", "跳绳", "拔河", "运动会", "读者", "作家", "签名", "新书", "书店", "书单", "共读", "经典", "小说", "诗歌", "历史", "科普", "童话", "故事", "讲故事", "朗读", "演讲", "辩论", "戏剧"]
LATIN = ["Python", "English", "yoga", "corner", "workshop", "Scratch", "AI", "data", "Java", "web", "app", "study", "club", "free", "weekend", "kids"]
PLACES = ["银湖图书馆", "湖滨公园", "社区活动中心", "青少年宫", "翠竹苑", "桂花里", "望江新村"]
STREETS = ["银湖路", "翠竹路", "湖滨大道", "桂花街", "梧桐路"]
KINDS = ["event", "listing", "venue", "note"]

QUERIES_1 = list("书球瑜亲修茶猫花湖车琴画舞鸟米灯")
QUERIES_2 = ["篮球", "二手", "读书", "瑜伽", "亲子", "维修", "编程", "活动", "周末", "免费", "小区", "公园",
             "书法", "足球", "电脑", "冰箱", "宠物", "义诊", "烘焙", "围棋"]
QUERIES_4 = ["读书分享", "周末亲子", "二手冰箱", "篮球比赛", "免费维修", "社区活动", "瑜伽体验", "湖滨公园",
             "英语口语", "垃圾分类", "跳蚤市场", "亲子阅读"]
# issue 16: several words typed without spaces, and variants or synonyms of a word
QUERIES_WORDS = ["周末亲子活动", "湖滨公园瑜伽", "二手自行车出售", "免费家电维修", "周六篮球比赛", "社区亲子阅读活动",
                 "周末的亲子活动", "小区闲置冰箱转让"]
QUERIES_VARIANT = ["瑜珈", "单车", "电饭锅", "篮求", "脚踏车", "保洁", "羽球", "冷气"]
QUERIES_MIXED = ["Python 编程", "英语角 English", "yoga 瑜伽", "Scratch 编程", "English 口语", "AI 讲座",
                 "python", "yoga", "workshop 手工", "kids 亲子"]


def synthetic(rng: random.Random, n: int) -> dict[str, Any]:
    kind = KINDS[n % 4]
    title = "".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
    if rng.random() < 0.1:
        title = f"{rng.choice(LATIN)} {title}"
    sentences = []
    for _ in range(rng.randint(2, 5)):
        words = [rng.choice(WORDS) if rng.random() > 0.05 else rng.choice(LATIN) for _ in range(rng.randint(4, 10))]
        sentences.append("".join(words) + rng.choice("，。！"))
    return {
        "kind": kind,
        "name": None if kind == "note" else title,
        "content": "<p>" + "".join(sentences) + "</p>",
        "place_name": rng.choice(PLACES) if kind != "note" else None,
        "address": f"{rng.choice(STREETS)} {rng.randint(1, 300)} 号" if kind in ("event", "venue") else None,
        "tags": " ".join(rng.sample(WORDS, 2)),
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(url: str, label: str, n_objects: int, n_queries: int) -> list[tuple[str, ...]]:
    rng = random.Random(42)
    engine = create_engine(url)
    rows: list[tuple[str, ...]] = []
    try:
        await migrate.upgrade(engine)
        now = datetime(2026, 11, 1, tzinfo=UTC)
        async with engine.begin() as conn:
            actor_id = (await conn.execute(insert(actors).values(
                uri="http://bench.test/c/yinhu", local=True, type="Group", username="yinhu", domain="bench.test",
                name="银湖社区", summary="", created_at=now, updated_at=now,
            ))).inserted_primary_key[0]
        t0 = time.perf_counter()
        batch = 2000
        for start in range(0, n_objects, batch):
            values = []
            for n in range(start, min(start + batch, n_objects)):
                item = synthetic(rng, n)
                values.append({
                    "uri": f"http://bench.test/o/{n}", "actor_id": actor_id, "local": True,
                    "visibility": "public", "community_id": actor_id,
                    "type": "Event" if item["kind"] == "event" else "Note", "raw": "{}",
                    "published": now - timedelta(minutes=n), **item,
                })
            async with engine.begin() as conn:
                await conn.execute(insert(objects), values)
        t_insert = time.perf_counter() - t0

        class _Inst:  # reindex_all only needs .engine
            pass

        inst = _Inst()
        inst.engine = engine  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        indexed = await search.reindex_all(inst, batch=2000)
        t_index = time.perf_counter() - t0
        assert indexed == n_objects, indexed
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()

        # one object at a time, as publish/store do (read the row back, write the index)
        t0 = time.perf_counter()
        single = 500
        for i in range(single):
            async with engine.begin() as conn:
                await search.reindex(conn, object_id=i + 1)
        t_single = (time.perf_counter() - t0) / single

        rows.append((label, "insert objects", f"{n_objects / t_insert:,.0f} items/s", "", "", "", "", ""))
        rows.append((label, "index (reindex_all)", f"{n_objects / t_index:,.0f} items/s", "", "", "", "", ""))
        rows.append((label, "reindex one object", f"{t_single * 1000:.2f} ms", "", "", "", "", ""))

        classes = {"1 char": QUERIES_1, "2 chars": QUERIES_2, "4 chars": QUERIES_4, "mixed zh/en": QUERIES_MIXED,
                   "words, no spaces": QUERIES_WORDS, "variants": QUERIES_VARIANT}
        plan = [(name, qs[(i // len(classes)) % len(qs)]) for i in range(n_queries)
                for name, qs in [list(classes.items())[i % len(classes)]]]
        timings: dict[str, list[float]] = {name: [] for name in classes}
        # CPU time of this process (SQLite runs in aiosqlite's thread here): what a query costs
        # whatever else the machine is doing; on PostgreSQL only the client's share.
        cpu: dict[str, list[float]] = {name: [] for name in classes}
        hits: dict[str, list[int]] = {name: [] for name in classes}
        async with engine.connect() as conn:
            for name, q in plan[:8]:  # warm the caches
                await search.search(conn, q)
            for name, q in plan:
                t0, c0 = time.perf_counter(), time.process_time()
                found = await search.search(conn, q, limit=20)
                timings[name].append((time.perf_counter() - t0) * 1000)
                cpu[name].append((time.process_time() - c0) * 1000)
                hits[name].append(len(found))
            filtered: list[float] = []
            for q in QUERIES_2 * 2:
                t0 = time.perf_counter()
                await search.search(conn, q, limit=20, filters=objects.c.kind == "event")
                filtered.append((time.perf_counter() - t0) * 1000)
        every = [t for ts in timings.values() for t in ts]
        every_cpu = [t for ts in cpu.values() for t in ts]
        for name, ts in timings.items():
            rows.append((label, f"query {name} ({len(ts)})", f"{statistics.mean(hits[name]):.0f} hits avg",
                         f"{pct(ts, 50):.1f}", f"{pct(ts, 95):.1f}", f"{max(ts):.1f}",
                         f"{pct(cpu[name], 50):.1f}", f"{pct(cpu[name], 95):.1f}"))
        rows.append((label, f"query kind=event ({len(filtered)})", "", f"{pct(filtered, 50):.1f}",
                     f"{pct(filtered, 95):.1f}", f"{max(filtered):.1f}", "", ""))
        rows.append((label, f"ALL queries ({len(every)})", "", f"{pct(every, 50):.1f}", f"{pct(every, 95):.1f}",
                     f"{max(every):.1f}", f"{pct(every_cpu, 50):.1f}", f"{pct(every_cpu, 95):.1f}"))
    finally:
        await engine.dispose()
    return rows


async def pg_database(server_url: str) -> tuple[str, Any]:
    import asyncpg

    server = make_url(server_url)
    name = f"yinhu_bench_{secrets.token_hex(4)}"
    kw = {"host": server.host or "127.0.0.1", "port": server.port or 5432, "user": server.username or "postgres",
          "password": server.password, "database": server.database or "postgres"}
    conn = await asyncpg.connect(**kw)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()

    async def drop() -> None:
        c = await asyncpg.connect(**kw)
        try:
            await c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await c.close()

    return server.set(database=name).render_as_string(hide_password=False), drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    table: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        table += await run(url, "sqlite", args.objects, args.queries)
        size = (Path(tmp) / "bench.sqlite3").stat().st_size
    pg = os.environ.get("YINHU_TEST_POSTGRES")
    if pg:
        url, drop = await pg_database(pg)
        try:
            table += await run(url, "postgres", args.objects, args.queries)
        finally:
            await drop()
    head = ("db", "what", "rate / hits", "p50 ms", "p95 ms", "max ms", "cpu p50", "cpu p95")
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths))
    print(f"\n{args.objects:,} objects; SQLite file {size / 1e6:.0f} MB (objects + index)\n")
    print(line(head))
    print(line(tuple("-" * w for w in widths)))
    for r in table:
        print(line(r))


if __name__ == "__main__":
    asyncio.run(main())
