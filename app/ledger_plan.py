"""The default 创建 plan shipped with the project: the 6 areas and 18 work items exactly as the unit's
implementing opinions (关于创建自治区级文明单位的实施意见, part 三) number and title them, with
default targets that follow the document's own words. ``flask plan init --year`` installs it.

Targets (all editable per year):
- ``{"type": "events", "label", "count", "per": "half"|"year", "photos": bool}``: activities linked to
  the item, held in each half-year or in the year; ``photos`` also asks for photos of them;
- ``{"type": "festivals", "festivals": [...]}``: an activity for each named traditional festival;
- ``{"type": "documents", "kind", "label", "count", "per"}``: uploaded documents of that kind;
- ``{"type": "hours", "hours", "per"}``: volunteer hours credited at the item's activities;
- ``{"type": "wishes", "count", "per"}``: 微心愿 confirmed as fulfilled;
- ``{"type": "broadcasts", "count", "per"}``: announcements and civility tips that went out.
"""

from __future__ import annotations

# (number, title) of the six areas: 三、工作内容 （一）…（六）.
AREAS: tuple[tuple[int, str], ...] = (
    (1, "加强组织领导"),
    (2, "深入学习贯彻习近平新时代中国特色社会主义思想和党的十九大精神，推进社会主义核心价值观扎根"),
    (3, "积极培育机关良好道德风尚"),
    (4, "积极开展学雷锋志愿服务活动"),
    (5, "扎实推进机关文化建设"),
    (6, "积极营造优美办公环境"),
)

AREA_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六"}

TRADITIONAL_FESTIVALS = ("春节", "元宵", "三月三", "清明", "端午", "中秋", "重阳")


def _doc(kind: str, label: str, count: int = 1, per: str = "year") -> dict:
    return {"type": "documents", "kind": kind, "label": label, "count": count, "per": per}


def _events(label: str, count: int = 1, per: str = "year", photos: bool = False) -> dict:
    return {"type": "events", "label": label, "count": count, "per": per, "photos": photos}


# number -> (area, title, description, evidence kinds, targets)
ITEMS: tuple[tuple[int, int, str, str, tuple[str, ...], tuple[dict, ...]], ...] = (
    (1, 1, "厅领导重视精神文明创建工作",
     "厅党组重视精神文明建设，研究本单位精神文明建设工作；在布置工作、年终总结及重大会议上同步布置精神文明建设工作。"
     "各级领导干部带头学习、宣讲精神文明创建。",
     ("会议记录", "总结"),
     (_doc("会议记录", "党组研究精神文明建设的会议记录"), _doc("总结", "年度创建工作总结"))),
    (2, 1, "建立健全创建工作机制",
     "建立健全文明单位创建工作领导机制，成立创建领导工作小组，有专人负责具体工作；制定创建计划，层层分解目标任务，"
     "明确责任人及部门；适时组织全体干部职工召开创建文明单位动员大会，主要领导做动员讲话；在厅外网站上设立精神文明建设专栏，"
     "对全厅创建工作和开展的各项活动进行宣传；对文明创建的投入逐年递增，创建活动经费有保障。",
     ("方案", "计划", "会议记录", "宣传报道"),
     (_doc("计划", "创建计划"), _doc("会议记录", "创建动员大会记录"))),
    (3, 2, "坚持用习近平新时代中国特色社会主义思想和党的十九大精神统一思想、武装头脑、指导实践、推动工作",
     "进一步加强党组中心组学习，广泛开展面向基层、面向群众的理论宣讲，持续开展“不忘初心、牢记使命”主题教育，"
     "推动广大党员读原著、学原文、悟原理，切实做到学而信、学而用、学而行。",
     ("计划", "会议记录", "总结"),
     (_doc("计划", "中心组学习计划"), _doc("会议记录", "中心组学习记录", count=2, per="half"))),
    (4, 2, "用好思想教育阵地",
     "进一步完善“不忘初心、牢记使命”党员教育馆、广西生态环境教育馆、图书馆内容，打造精神文明阵地，举办“入党宣誓仪式”"
     "“党员政治生日”等，引导广大干部职工升华爱党、爱国、爱社会主义的深厚感情，坚定不移走中国特色社会主义道路。",
     ("签到表", "照片", "总结"),
     (_events("主题教育活动", per="half", photos=True),)),
    (5, 2, "进一步推进社会主义核心价值观建设",
     "深入贯彻落实《关于培育和践行社会主义核心价值观的意见》，要在学习先进典型，培育最美基层环保人、优秀党员党务工作者品牌，"
     "注重以机关文化育人，通过微信群、QQ群等方式拓展社会主义核心价值观传播平台，推动社会主义核心价值观在机关首先落地生根。",
     ("方案", "宣传报道"),
     (_doc("宣传报道", "核心价值观宣传报道"),)),
    (6, 3, "认真开展道德讲堂活动",
     "积极推进“道德讲堂”建设，打造成效明显的道德讲堂。每半年开展一次道德讲堂活动，营造“崇德向善”的浓厚氛围，"
     "做到“知行合一”的道德传播者和践行者，为创建自治区级文明单位提供强大精神动力和道德支撑。",
     ("签到表", "照片", "会议记录", "感悟"),
     (_events("道德讲堂", per="half", photos=True),)),
    (7, 3, "积极组织文明有礼培育",
     "以“做文明有礼的生态环保人”为主题，着力加强对干部职工公共文明礼仪的宣传教育，提高文明素养。",
     ("方案", "宣传报道"),
     (_doc("方案", "文明有礼培育方案"),)),
    (8, 3, "深入开展文明餐桌活动",
     "建立勤俭节约制度规定，开展“节约一滴水、一度电、一张纸”活动，开展“不剩饭、不剩菜”文明餐桌行动，评比节俭文明人。",
     ("制度", "照片", "总结"),
     (_doc("制度", "勤俭节约制度规定"),)),
    (9, 3, "广泛开展文明风尚传播",
     "制定文明风尚传播活动实施方案，设置崇德修身、向善向上的道德宣传牌、温馨提示语，营造浓厚的道德文化氛围；"
     "建立网络文明传播志愿者小组，积极参加网络、手机文明传播行动。开展“最美家庭”“读家书、谈家风”活动，"
     "以良好家风引领良好的生态环境系统新风尚。",
     ("方案", "宣传报道", "照片"),
     (_doc("方案", "文明风尚传播活动实施方案"), {"type": "broadcasts", "count": 20, "per": "half"})),
    (10, 4, "扎实开展学雷锋活动",
     "制定年度学雷锋活动方案，成立学雷锋小组、志愿服务队，明确责任单位和责任人，开展扶危济困、助人为乐等活动。",
     ("方案", "签到表", "照片", "总结"),
     (_doc("方案", "年度学雷锋活动方案"), _events("志愿服务活动", per="half", photos=True),
      {"type": "hours", "hours": 20, "per": "year"})),
    (11, 5, "深入推进“走在前”机关文化建设",
     "制定“走在前”机关文化建设活动计划，深入抓好“两个从严”，持续弘扬“四干精神”，持续推进向上向善“四个珍惜”，建设环保铁军。",
     ("计划", "总结"),
     (_doc("计划", "“走在前”机关文化建设活动计划"),)),
    (12, 5, "积极开展“传统节日”活动",
     "制定“传统节日”活动方案，在春节、元宵、三月三、清明、端午、中秋、重阳等传统节日期间，开展迎春会、娱乐健身、"
     "祭祀先烈等活动，营造浓厚节日氛围。",
     ("方案", "签到表", "照片"),
     (_doc("方案", "“传统节日”活动方案"), {"type": "festivals", "festivals": list(TRADITIONAL_FESTIVALS)})),
    (13, 5, "开展丰富多彩文化体育活动",
     "制定职工文体活动实施方案；不断增添健身活动设施；开展经常性的体育活动，组织歌舞联谊活动，举办随手拍摄影和书法比赛。",
     ("方案", "签到表", "照片"),
     (_doc("方案", "职工文体活动实施方案"), _events("文体活动", per="half"))),
    (14, 6, "建设优美办公环境",
     "制定办公楼环境建设实施方案，建设楼道文化长廊。保持办公场所整洁，室内外地面干净、窗明几净，无脏、乱、差现象，"
     "物品摆放陈列整齐有序；禁烟区内无吸烟者；厕所整洁无异味，停车有序。",
     ("方案", "照片"),
     (_doc("方案", "办公楼环境建设实施方案"), _doc("照片", "办公环境照片"))),
    (15, 6, "绿化美化环境",
     "开展植树护绿活动，构建美观宜人的内外环境。",
     ("签到表", "照片"),
     (_events("植树活动", photos=True),)),
    (16, 6, "大力开展优质服务活动",
     "制定优质服务活动实施方案；制定优质服务制度规范和服务承诺；建立优质服务常态化管理措施；在厅机关开展“做人民满意公务员”活动，"
     "对优质服务先进集体、先进个人进行表彰。",
     ("方案", "制度", "总结"),
     (_doc("方案", "优质服务活动实施方案"), _doc("制度", "优质服务制度规范和服务承诺"))),
    (17, 6, "积极参与帮扶共建活动",
     "制定参与帮扶共建、履行社会责任的实施方案；开展与定点扶贫村“一对一”结对帮扶活动；组织党员认领“微心愿”行动。",
     ("方案", "签到表", "照片", "总结"),
     (_doc("方案", "帮扶共建实施方案"), _events("结对帮扶活动"), {"type": "wishes", "count": 5, "per": "year"})),
    (18, 6, "开展诚信建设活动",
     "广泛开展“诚实守信、优质服务”活动，建立诚信机制，将诚信纳入文明单位考核重要内容，营造机关诚实守信的良好环境。",
     ("制度", "总结"),
     (_doc("制度", "诚信机制"),)),
)

# The item an event of each kind counts for unless an operator tags it otherwise.
# The numbers a work item can have (a selection, a pledge or an inspection score names one).
ITEM_NUMBERS = range(1, len(ITEMS) + 1)

DEFAULT_ITEM_BY_KIND: dict[str, int] = {
    "道德讲堂": 6,
    "志愿服务": 10,
    "传统节日": 12,
    "文体活动": 13,
    "植树护绿": 15,
    "帮扶共建": 17,
    "主题教育": 4,
}

# The five 环节 of the common 道德讲堂 format, in order.
LECTURE_SEGMENTS = ("唱歌曲", "学模范", "诵经典", "发善心", "送吉祥")
