"""Whistle categories as the seeds list them, with the departments responsible for each.

Department names are written without the level prefix (市/县/区); `install_categories` looks
them up among the jurisdiction's units by suffix, so one catalogue serves the city and each
county. "各县区政府（管委会）" in Chaozhou's list means the county or zone itself answers too;
the office of that level stands in for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal.domain.models import Category, Jurisdiction, OrgUnit


@dataclass(frozen=True)
class CategorySpec:
    number: int
    name: str
    description: str
    responsible: tuple[str, ...]


# 潮改委发〔2020〕7号 四(一) "企业吹哨"主要事项 1-11, each with its [责任部门].
CHAOZHOU: tuple[CategorySpec, ...] = (
    CategorySpec(
        1, "政策法规咨询", "企业对国家有关法律、法规、规章、政策等方面的咨询事项", ("相关部门",)
    ),
    CategorySpec(
        2, "用地需求", "企业在生产中要求解决用地困难，增加土地供给的事项", ("自然资源局",)
    ),
    # 3 [责任部门：市各金融机构、各县区政府（管委会）等]: the financial institutions, not the
    # financial bureau (金融局): the unit that speaks for them is named as the seed names it.
    CategorySpec(
        3, "融资难融资贵", "企业面临的融资贵、融资难，制约企业发展的事项", ("各金融机构",)
    ),
    CategorySpec(
        4, "引才用工", "企业遇到的引才难、用工难、人员成本高的事项", ("人力资源和社会保障局",)
    ),
    CategorySpec(
        5,
        "技术攻关与信息化",
        "企业在技术攻关、科技立项、智能化和信息化应用中需要帮助解决的事项",
        ("工业和信息化局", "科学技术局"),
    ),
    CategorySpec(6, "项目落地建设", "企业项目落地和建设过程中需协调的有关事项", ("相关部门",)),
    CategorySpec(
        7, "扶持政策与减负", "部门（单位）进一步出台扶持政策、减轻企业负担的事项", ("相关部门",)
    ),
    CategorySpec(
        8,
        "审批关卡与多余证明",
        "部门（单位）在行政审批中私设关卡，相互设置前置审批，要求各类“多余证明”",
        ("政务服务数据管理局",),
    ),
    CategorySpec(
        9,
        "收费与服务不对等",
        "部门（单位）行政事业性收费与指导服务不对等，只收费不指导，少服务甚至不服务",
        ("市场监督管理局", "财政局"),
    ),
    CategorySpec(
        10,
        "政务服务效率",
        "部门（单位）工作人员在政务服务中需要提高办事效率，营造良好营商环境的事项",
        ("相关部门",),
    ),
    CategorySpec(11, "其他协调事项", "其他需要政府有关部门协调解决的事项", ("相关部门",)),
)

# 城口县专项行动方案 五(二) 受理“企业吹哨”协调事项 1-7. The seed names the working group's
# member units (三) but not a lead per item; the leads below follow each item's subject.
CHENGKOU: tuple[CategorySpec, ...] = (
    CategorySpec(
        1,
        "政务服务协调",
        "行政审批、用地规划、环评手续、水电气报装、证照办理、新业态手续办理、缴纳税款、跨境贸易、政府采购、企业破产等",
        ("发展改革委",),
    ),
    CategorySpec(
        2,
        "要素保障协调",
        "能源要素保障、原材料等成本上升、市场订单减少、智能化改造等供需保障",
        ("经济信息委",),
    ),
    CategorySpec(
        3, "金融服务协调", "应急转贷、银行抽贷断贷和其他融资支持工具申请办理", ("财政局",)
    ),
    CategorySpec(
        4, "招工引才协调", "招工难、引才难、留才难，人才交流、培养、服务", ("人力社保局",)
    ),
    CategorySpec(
        5, "交通物流协调", "公、铁、水、航空物流运输中的物流、交通设施设置及公共出行", ("交通局",)
    ),
    CategorySpec(
        6,
        "供需对接协调",
        "本地产品对接配套、供应链稳保、大中小企业融通发展以及基础设施、园区生活配套",
        ("经济信息委",),
    ),
    CategorySpec(
        7,
        "其他事项协调",
        "乱收费、乱罚款、乱摊派及涉企收费中的搭售、违规；法律、法规、规章等政策咨询",
        ("市场监管局",),
    ),
)


def install_categories(
    session, jurisdiction: Jurisdiction, catalogue: tuple[CategorySpec, ...]
) -> list[Category]:
    """Create (or refresh) a jurisdiction's categories and link their lead units.

    A responsible department is matched to the jurisdiction's unit whose name ends with it;
    "相关部门" (the relevant departments) has no fixed lead: the office dispatches.
    """
    units = session.scalars(
        sa.select(OrgUnit).where(OrgUnit.jurisdiction_id == jurisdiction.id)
    ).all()
    existing = {
        c.number: c
        for c in session.scalars(
            sa.select(Category).where(Category.jurisdiction_id == jurisdiction.id)
        )
    }
    result = []
    for spec in catalogue:
        category = existing.get(spec.number) or Category(
            jurisdiction=jurisdiction, number=spec.number
        )
        category.name = spec.name
        category.description = spec.description
        category.responsible = "、".join(spec.responsible)
        category.lead_units = [
            unit for name in spec.responsible for unit in units if unit.name.endswith(name)
        ]
        session.add(category)
        result.append(category)
    session.flush()
    return result


# 汕头市政企“直通车”优化工作机制 二 受理范围 (1)-(3), with 三(三)'s 涉企服务投诉 as its own
# item (its time limit differs). The seed names no responsible department per item: the 市工作
# 专班 sits in the 工业和信息化局 (一), which stands in where no other unit answers.
SHANTOU: tuple[CategorySpec, ...] = (
    CategorySpec(
        1,
        "项目建设协调",
        "企业咨询反映项目建设过程中需要我市各级政府及其相关职能部门协调解决的问题",
        ("自然资源局",),
    ),
    CategorySpec(
        2,
        "生产经营协调",
        "企业咨询反映生产经营过程中需要我市各级政府及其相关职能部门协调解决的问题",
        ("工业和信息化局",),
    ),
    CategorySpec(3, "营商环境意见建议", "企业对优化营商环境建设的意见建议", ("工业和信息化局",)),
    CategorySpec(4, "涉企服务投诉", "涉企服务投诉事项", ("市场监督管理局",)),
)
