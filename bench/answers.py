"""The answer hint on the whistle form (知识库, issue 10) with many published answers.

    .venv/bin/python bench/answers.py --db sqlite|postgresql [--answers 5000] [--runs 100]
        [--warmup 10] [--pg-url postgresql://127.0.0.1:5432/test]

Builds a throw-away database with the demo data (benchdb.build), adds --answers published
answers of the city (潮州市, 445100; the demo enterprise's county sees the city's answers)
through `answers.save`, each question made of a few of 40 consultation topics with a
serial number, so that a typed consultation shares bigrams with hundreds of them; then,
signed in as the demo enterprise through the login form, times --runs htmx requests of
POST /whistle/similar (HX-Request, case type consultation, a realistic question), after
--warmup: wall-clock and CPU of this thread (the Flask test client: the whole WSGI stack,
no network), the SQL statements, and the fragment's bytes as sent and gzipped (level 6).

Budgets (the issue): median <= 20 ms with 5,000 answers, fragment <= 3 KB gzip.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from benchdb import (  # noqa: E402
    DEFAULT_PG_URL,
    DEMO_MOBILE,
    ThrowawayDatabase,
    analyse,
    bench_config,
    build,
)
from bs4 import BeautifulSoup  # noqa: E402
from cases_scale import StatementCounter, p90, sign_in  # noqa: E402

from portal import create_app  # noqa: E402
from portal.domain import answers  # noqa: E402
from portal.domain.models import Jurisdiction, User  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.web.sessions import utcnow  # noqa: E402

TOPICS = (
    "稳岗补贴",
    "社保缴费基数",
    "高新技术企业认定",
    "研发费用加计扣除",
    "出口退税",
    "排污许可证",
    "用电增容",
    "消防验收",
    "建设工程规划许可",
    "施工许可",
    "贷款贴息",
    "创业担保贷款",
    "招工用工",
    "技能培训补贴",
    "人才引进",
    "员工子女入学",
    "公租房申请",
    "厂房租金补贴",
    "土地出让",
    "不动产登记",
    "营业执照变更",
    "食品经营许可",
    "特种设备检验",
    "安全生产许可",
    "环评审批",
    "水土保持",
    "道路挖掘许可",
    "户外广告设置",
    "税收优惠",
    "增值税留抵退税",
    "小微企业减免",
    "个体工商户补贴",
    "外贸企业运费补贴",
    "展会补贴",
    "专利申请资助",
    "商标注册",
    "质量认证补贴",
    "节能改造补贴",
    "数字化转型补贴",
    "物流园区",
)
QUESTION = "我们企业想咨询稳岗补贴怎么申领，需要准备哪些材料，多久能发放？"
BUDGET_MS, BUDGET_GZIP = 20.0, 3 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(20261202)
    with ThrowawayDatabase(args.db, args.pg_url) as url:
        app = create_app(bench_config(url))
        build(app)
        with app.app_context():
            city = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "445100"))
            office = db.session.scalar(sa.select(User).where(User.username == "office"))
            started = time.perf_counter()
            for n in range(args.answers):
                topics = rng.sample(TOPICS, 2)
                answers.save(
                    db.session,
                    by=office,
                    at=utcnow(),
                    jurisdiction=city,
                    question=f"{topics[0]}和{topics[1]}怎么办理？（第{n}号）",
                    text="办理流程：网上申请，提交材料，审核后发放。" * 4,
                    source="潮人社〔2026〕12号",
                    keywords=" ".join(topics),
                )
                if n % 500 == 499:
                    db.session.commit()
            db.session.commit()
            analyse(db)
            built = time.perf_counter() - started
            terms = db.session.scalar(sa.text("SELECT count(*) FROM answer_term"))
            db.engine.dispose()

        client = app.test_client()  # no application context held: each request its own
        sign_in(client, DEMO_MOBILE, app.config["DEMO_PASSWORD"])
        page = client.get("/whistle")
        token = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})[
            "value"
        ]
        form = {"csrf_token": token, "case_type": "consultation", "title": "", "content": QUESTION}
        headers = {"HX-Request": "true", "HX-Target": "similar"}

        def once():
            response = client.post("/whistle/similar", data=form, headers=headers)
            assert response.status_code == 200, (response.status_code, response.text[-800:])
            return response

        for _ in range(args.warmup):
            once()
        wall, cpu = [], []
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.thread_time()
            response = once()
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
        with app.app_context():
            engine = db.engine
        counter = StatementCounter()
        sa.event.listen(engine, "before_cursor_execute", counter)
        response = once()
        sa.event.remove(engine, "before_cursor_execute", counter)
        shown = len(BeautifulSoup(response.text, "html.parser").select(".answers li"))
        with app.app_context():
            city = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "445100"))
            hint_ms = []
            for _ in range(args.runs):
                start = time.perf_counter()
                answers.hints(db.session, [city.id], QUESTION)
                hint_ms.append((time.perf_counter() - start) * 1000)
            db.engine.dispose()
    size, packed = len(response.data), len(gzip.compress(response.data, 6))
    median = statistics.median(wall)
    print(
        f"database: {args.db} (throw-away), demo data + {args.answers} published answers "
        f"({terms} bigram rows), built in {built:.1f} s; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"POST /whistle/similar (htmx, consultation), {args.runs} runs after "
        f"{args.warmup}: median {median:.2f} ms, p90 {p90(wall):.2f} ms, CPU median "
        f"{statistics.median(cpu):.2f} ms; {len(counter.statements)} SQL statements; "
        f"answers.hints alone median {statistics.median(hint_ms):.2f} ms"
    )
    print(f"fragment: {shown} answers shown, {size} B as sent, {packed} B gzip")
    print(
        f"budgets: median <= {BUDGET_MS:g} ms "
        f"{'met' if median <= BUDGET_MS else 'MISSED'}; fragment <= 3 KB gzip "
        f"{'met' if packed <= BUDGET_GZIP else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
