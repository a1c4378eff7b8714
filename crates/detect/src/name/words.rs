//! Word lists of the name recognizer: context words around names and ordinary words that
//! begin with a surname character.

/// Words that introduce a person: what follows them is a name.
pub(super) const LEFT_TRIGGERS: &[&str] = &[
    "患者",
    "病人",
    "居民",
    "联系人",
    "申请人",
    "姓名",
    "市民",
    "本人",
    "家属",
    "户主",
    "业主",
    "租户",
    "房东",
    "村民",
    "职工",
    "员工",
    "同事",
    "学生",
    "老师",
    "医生",
    "护士",
    "经办人",
    "负责人",
    "法人",
    "代表人",
    "委托人",
    "当事人",
    "投诉人",
    "举报人",
    "来访人",
    "报案人",
    "证人",
    "客户",
    "用户",
    "顾客",
    "乘客",
    "司机",
    "驾驶员",
    "父亲",
    "母亲",
    "丈夫",
    "妻子",
    "儿子",
    "女儿",
    "哥哥",
    "姐姐",
    "弟弟",
    "妹妹",
    "监护人",
    "收件人",
    "寄件人",
    "收货人",
    "签收人",
    "致电",
    "来电",
    "陪同",
    "配偶",
    "同学",
    "邻居",
    "亲属",
    "孕妇",
    "产妇",
    "学员",
    "会员",
    "持卡人",
    "借款人",
    "担保人",
    "被告",
    "原告",
    "嫌疑人",
    "车主",
    "通知",
    "告知",
    "提醒",
    "转告",
    "委托",
    "授权",
    "代理人",
    "受理人",
    "承租人",
    "出租人",
    "户籍人",
];

/// Redaction mode: last characters of role words that put a person's name after them
/// (来电人, 参保人员, 甲方, 患者, 考官, 民警, 车主).
pub(super) const ROLE_ENDS: &str = "人员方者官警主";

/// Redaction mode: more words that introduce a name.
pub(super) const MORE_TRIGGERS: &[&str] = &[
    "户名",
    "开户名",
    "我叫",
    "名叫",
    "叫做",
    "教练",
    "子女",
    "新生儿",
    "儿童",
    "之子",
    "之女",
    "之母",
    "之父",
    "丈夫",
    "妻子",
    "儿媳",
    "女婿",
    "孙子",
    "孙女",
    "外孙",
    "考生",
    "学生",
    "法官",
    "审判长",
    "审判员",
    "书记员",
    "陪审员",
    "律师",
    "医师",
    "药师",
    "教师",
    "班主任",
    "院长",
    "村长",
    "组长",
    "队长",
    "站长",
    "所长",
    "科长",
    "局长",
    "经理",
    "董事长",
    "总经理",
    "监事",
    "股东",
    "会计",
    "出纳",
    "男方",
    "女方",
    "经办",
    "签名",
    "署名",
    "收件",
    "寄件",
    "揽件员",
    "派件员",
    "网格员",
    "调解员",
    "评估员",
    "联系",
    "委派代表",
    "代表",
    "男友",
    "女友",
    "好友",
    "朋友",
    "租客",
    "住户",
    "农户",
    "骑手",
    "司机",
    "领队",
    "游客",
    "台胞",
    "台商",
    "客人",
    "兹证明",
    "证明",
    "大名",
    "小名",
    "乳名",
    "抄送",
    "查封",
    "推荐",
    "其子",
    "其女",
    "爷爷",
    "奶奶",
    "外公",
    "外婆",
    "祖父",
    "祖母",
    "家长",
    "主任",
    "会长",
    "理事长",
    "秘书",
    "督导员",
    "群众",
    "婴儿",
    "同胞",
    "对象",
    "幼儿",
    "病患",
    "伤者",
    "死者",
    "旅客",
    "租户",
    "业户",
    "尊敬的",
    "侄子",
    "侄女",
    "外甥",
    "原名",
    "自称",
    "实名为",
    "领导",
    "厂长",
    "管家",
    "助理",
    "造成",
    "姓名",
    "其父",
    "其母",
];

/// Redaction mode: more titles after a name (张伟科长).
pub(super) const MORE_HONORIFICS: &[&str] = &[
    "科长", "局长", "厂长", "处长", "所长", "部长", "书记", "大爷", "大妈", "奶奶", "爷爷",
];

/// Triggers that are verbs, not roles: after them a word stays a word (告知通过…).
pub(super) const VERB_TRIGGERS: &[&str] = &[
    "致电", "来电", "陪同", "通知", "告知", "提醒", "转告", "委托", "授权", "联系", "查封", "推荐",
    "抄送", "证明", "我叫", "名叫", "叫做",
];

/// Redaction mode: more single characters before a name that link it into a sentence
/// (致张伟受伤, 因李娜未到).
pub(super) const MORE_LEFT_LINKS: &str = "致因以令使随即若如";

/// Redaction mode: more words a name may be followed by.
pub(super) const MORE_RIGHT: &[&str] = &[
    "驾驶", "负", "索要", "未", "系", "持", "名下", "之", "等人", "夫妻", "（", "(",
];

/// Single characters before a name that link it into a sentence (由张伟负责, 与李娜联系).
pub(super) const LEFT_LINKS: &str = "由与和及跟同给让叫找被把向对请经将帮替问见约派";

/// Titles and honorifics: a surname and given name before them is a name whatever precedes.
pub(super) const HONORIFICS: &[&str] = &[
    "先生", "女士", "小姐", "同志", "老师", "医生", "护士", "师傅", "经理", "主任", "律师", "警官",
    "院长", "阿姨", "老人", "同学",
];

/// Words after a name that are about the person (电话, 身份证) or a clause (说, 表示).
pub(super) const RIGHT_WORDS: &[&str] = &[
    "电话",
    "手机",
    "身份证",
    "联系",
    "住址",
    "家住",
    "现住",
    "户籍",
    "年龄",
    "性别",
    "男",
    "女",
    "今年",
    "表示",
    "反映",
    "投诉",
    "咨询",
    "来电",
    "致电",
    "报称",
    "自述",
    "要求",
    "本人",
    "家属",
    "夫妇",
    "一家",
    "负责",
    "办理",
    "签字",
    "签收",
    "提供",
    "提出",
    "领取",
    "确认",
    "前来",
    "到场",
    "接待",
    "处理",
    "报告",
    "告知",
    "回复",
    "证实",
    "同意",
    "拒绝",
    "介绍",
    "申请",
    "入院",
    "出院",
    "就诊",
    "死亡",
    "去世",
    "出生",
];

/// Single characters after a name that start a new clause (张伟说, 李娜的, 王芳于).
pub(super) const RIGHT_LINKS: &str =
    "的于在因说称等是已到来去也都和与及为向对被把将就又还曾住现系从";

/// Characters that are never part of a given name here: function words, so 张伟的 is not read
/// as a three-character name. (Given characters that begin a context word, as in 王先生, are
/// rejected where the context words are checked.)
pub(super) const NOT_GIVEN: &str = "的了在于是和与及或因说称等已到来去也都为向对被把将就又还曾住现系从某个们这那有没不吗呢吧啊哦嗯";

/// Surname characters that are common characters in ordinary words.
pub(super) const COMMON_SURNAMES: &str = "于和时成向安全应常关单车连解明文路司农党宫师商查麻迟封沙荣边冷席卫米宗景古吉卓项简\
    游曲谷盛包宁尚符甘申万华石金方白江高林马田任余程丁龙史毛钱严武孔温康施牛齐易鲁左柳祝舒纪童凌毕季苗\
    蓝辛管柴蒙房屈艾尤阳穆费柏郎仲池朱胡许罗梁谢宋唐曾董袁叶苏夏付熊秦段雷陶黎贺顾庞颜章";

/// Ordinary words that begin with a surname character.
pub(super) const STOP_WORDS: &str = "高兴 高级 高速 高度 高中 高考 高温 高血 高压 高峰 高新 高效 高铁 张开 张贴 方便 方法 方面 \
    方式 方案 方向 王国 王者 黄金 黄色 周末 周一 周二 周三 周四 周五 周六 周日 周年 周围 周边 周期 陈述 陈列 林业 \
    林地 江苏 江西 江南 江北 李子 马上 马路 向前 向后 安全 安排 安装 安静 安置 常规 常见 常用 关于 关系 关注 关键 \
    单位 单独 车辆 车位 车站 连续 连接 解决 解释 明天 明确 明显 文件 文化 文明 路上 路口 路过 司机 农村 农业 党员 \
    商品 商场 查询 查看 麻烦 迟到 封闭 沙发 荣誉 边上 冷静 卫生 米饭 宗教 景区 古代 吉利 项目 简单 游戏 曲线 包括 \
    包装 宁波 尚未 符合 甘肃 申请 申报 万元 华为 石头 金额 金融 白天 白色 任务 任何 余额 程序 程度 龙头 毛病 钱包 \
    严重 严格 武汉 温度 康复 施工 牛奶 齐全 鲁迅 左边 左右 祝福 舒服 纪念 童年 凌晨 毕业 季度 蓝色 辛苦 管理 柴油 \
    蒙古 房子 房屋 房间 艾滋 尤其 阳光 费用 和平 和谐 于是 时间 时候 成功 成为 成都 全部 全面 应该 应当 许多 许可 \
    胡同 何时 罗马 郑州 谢谢 曾经 董事 叶子 苏州 沈阳 钟表 陆续 范围 夏天 夏季 付款 付费 熊猫 段落 雷雨 陶瓷 黎明 \
    顾客 顾问 万一 武器 莫名 颜色 章程 欧洲 兰州 焦虑 纪律 梅花 路段 易于 齐心 孟子 史上 杨树 刘海 孙子 朱红 郭外 \
    宋代 唐代 韩国 彭湃 蔡伦 姚明 卢湾 姜汤 崔嵬 谭腿 汪洋 廖廖 贾宝 韦氏 邹城 秦朝 秦岭 邱陵 尹尼 薛定 闫某 侯门 \
    贺卡 郝某 龚某 邵阳 覃某 戴帽 汤圆 樊篱 葛根 邢台 乔木 伍佰 倪某 庄重 聂某 岳阳 翟某 殷切 詹某 耿直 俞某 柯南 \
    梅毒 霍乱 涂抹 翁源 冉冉 骆驼 靳某 鲍鱼 喻某 祁连 蒲公 滕州 饶恕 牟利 穆斯 卜卦 晏某 瞿某 桂林 佟某 臧否 闵行 \
    苟且 邬某 卞某 姬某 仇恨 栾某 隋朝 刁难 巫师 寇某 桑拿 甄别 丛林 虞某 敖包 巩固 佘某 苑某 邝某 连云 明星 明白 \
    文字 文章 安徽 安心 金华 金山 高新 石家 江山 华山 华南 华北 黄山 黄河 长沙 温州 温暖 常州 宁夏 向日 马鞍 时尚 \
    成绩 成本 成果 全国 全体 应用 关门 关心 单身 车主 连锁 解放 路径 司法 农民 商业 查找 封面 沙漠 冷藏 卫星 宗旨 \
    景德 古城 吉林 项链 简历 游泳 曲靖 谷物 盛情 包子 尚且 符号 甘蔗 申通 万达 石油 金牌 白银 田园 任意 余杭 程控 \
    丁字 龙井 史料 毛巾 钱塘 严禁 武装 孔雀 温泉 康乃 施肥 牛肉 齐鲁 易拉 鲁能 左手 柳州 祝贺 舒适 纪检 童话 凌乱 \
    毕竟 季节 苗条 蓝天 辛勤 管道 柴火 房东 房产 屈指 艾灸 阳台 费率 柏油 郎中 仲裁 池塘 王府 李白 张家 刘备 陈皮 \
    杨梅 黄山 赵州 吴江 周口 徐州 孙悟 马克 朱雀 胡椒 郭德 何况 高原 林肯 罗湖 郑重 梁山 谢绝 宋体 唐山 许昌 韩城";

/// Latin words that look like name parts but are not.
pub(super) const LATIN_STOP: &[&str] = &[
    "The",
    "Of",
    "And",
    "New",
    "York",
    "Street",
    "Road",
    "City",
    "Company",
    "Ltd",
    "Inc",
    "University",
    "Hospital",
    "Bank",
    "China",
    "Hello",
    "World",
    "United",
    "States",
    "Kingdom",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Not",
    "Available",
    "Unknown",
    "None",
    "Null",
    "True",
    "False",
    "Yes",
    "No",
    "Male",
    "Female",
    "North",
    "South",
    "East",
    "West",
    "Group",
    "Center",
    "Centre",
    "District",
    "Province",
    "Avenue",
    "Lane",
];
