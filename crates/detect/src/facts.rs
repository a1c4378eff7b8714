//! Facts the recognizers and the generator share: code tables written down from the standards.
//!
//! Kept as data in code (not files read at run time) so the binary works anywhere.

/// Province-level division codes of GB/T 2260, plus 71 (Taiwan), 81 (Hong Kong), 82 (Macao) and
/// 83, the prefix of resident IDs issued with residence permits to Taiwan residents.
pub const PROVINCES: &[(u8, &str)] = &[
    (11, "北京市"),
    (12, "天津市"),
    (13, "河北省"),
    (14, "山西省"),
    (15, "内蒙古自治区"),
    (21, "辽宁省"),
    (22, "吉林省"),
    (23, "黑龙江省"),
    (31, "上海市"),
    (32, "江苏省"),
    (33, "浙江省"),
    (34, "安徽省"),
    (35, "福建省"),
    (36, "江西省"),
    (37, "山东省"),
    (41, "河南省"),
    (42, "湖北省"),
    (43, "湖南省"),
    (44, "广东省"),
    (45, "广西壮族自治区"),
    (46, "海南省"),
    (50, "重庆市"),
    (51, "四川省"),
    (52, "贵州省"),
    (53, "云南省"),
    (54, "西藏自治区"),
    (61, "陕西省"),
    (62, "甘肃省"),
    (63, "青海省"),
    (64, "宁夏回族自治区"),
    (65, "新疆维吾尔自治区"),
    (71, "台湾省"),
    (81, "香港特别行政区"),
    (82, "澳门特别行政区"),
    (83, "台湾居民居住证"),
];

/// True when `code` is a province-level prefix that can begin a resident ID.
pub fn is_province_code(code: u32) -> bool {
    PROVINCES.iter().any(|&(c, _)| u32::from(c) == code)
}

/// Three-digit mobile prefixes allocated by MIIT to the carriers (China Mobile, Unicom, Telecom,
/// Broadnet and MVNOs). Prefixes not listed (140-144, 154, 160, 161, 163, 164, 168, 169, 179, 194) are unallocated for 11-digit voice numbers.
pub const MOBILE_PREFIXES: &[u16] = &[
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 146, 147, 148, 149, 150, 151, 152, 153,
    155, 156, 157, 158, 159, 162, 165, 166, 167, 170, 171, 172, 173, 174, 175, 176, 177, 178, 180,
    181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 195, 196, 197, 198, 199,
];

/// True when the 3-digit prefix of a mobile number is allocated.
pub fn is_mobile_prefix(prefix: u16) -> bool {
    MOBILE_PREFIXES.binary_search(&prefix).is_ok()
}

/// Common single-character surnames (the most frequent ~200 of the Ministry of Public Security's counts).
pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴",
    "莫", "孔", "向", "汤", "常", "温", "康", "施", "文", "牛", "樊", "葛", "邢", "安", "齐", "易",
    "乔", "伍", "庞", "颜", "倪", "庄", "聂", "章", "鲁", "岳", "翟", "殷", "詹", "申", "欧", "耿",
    "关", "兰", "焦", "俞", "左", "柳", "甘", "祝", "包", "宁", "尚", "符", "舒", "阮", "柯", "纪",
    "梅", "童", "凌", "毕", "单", "季", "裴", "霍", "涂", "成", "苗", "谷", "盛", "曲", "翁", "冉",
    "骆", "蓝", "路", "游", "辛", "靳", "管", "柴", "蒙", "鲍", "华", "喻", "祁", "蒲", "房", "滕",
    "屈", "饶", "解", "牟", "艾", "尤", "阳", "时", "穆", "农", "司", "卓", "古", "吉", "缪", "简",
    "车", "项", "连", "芦", "麦", "褚", "娄", "窦", "戚", "岑", "景", "党", "宫", "费", "卜", "冷",
    "晏", "席", "卫", "米", "柏", "宗", "瞿", "桂", "全", "佟", "应", "臧", "闵", "苟", "邬", "边",
    "卞", "姬", "师", "和", "仇", "栾", "隋", "商", "刁", "沙", "荣", "巫", "寇", "桑", "郎", "甄",
    "丛", "仲", "虞", "敖", "巩", "明", "佘", "池", "查", "麻", "苑", "迟", "邝", "封",
];

/// Compound (two-character) surnames.
pub const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "西门", "南宫", "独孤", "轩辕", "百里", "呼延", "澹台", "公冶", "太史",
];

/// Characters common in Chinese given names; the generator draws from these and the name
/// recognizer uses them to tell a name from a surname-initial word.
pub const GIVEN_NAME_CHARS: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞建国志斌辉宇浩然\
    子涵欣怡梓轩雨萱思琪佳一诺晨阳博文俊熙宏天佑昊瑞嘉懿婷雪琳颖倩慧琴云莉兰凤洁梅晶玲燕鑫鹤\
    海波峰磊亮健永春林德成东晓丹荣新彬立凯帅瑶卓然锦程柏霖沐宸铭泽睿安奕诗涵若曦梦瑶可馨语嫣";

/// A county-level division with its GB/T 2260 code, as the generator and address recognizer use it.
#[derive(Debug, Clone, Copy)]
pub struct District {
    /// The 6-digit GB/T 2260 code.
    pub code: u32,
    /// Province-level name.
    pub province: &'static str,
    /// Prefecture-level name ("" for districts of municipalities, which use the province name).
    pub city: &'static str,
    /// County-level name.
    pub district: &'static str,
}

const fn d(
    code: u32,
    province: &'static str,
    city: &'static str,
    district: &'static str,
) -> District {
    District {
        code,
        province,
        city,
        district,
    }
}

/// Districts the generator places residents in: every prefecture of Zhejiang, the model province,
/// and a spread of districts elsewhere so that residents come from many provinces.
pub const DISTRICTS: &[District] = &[
    d(330102, "浙江省", "杭州市", "上城区"),
    d(330105, "浙江省", "杭州市", "拱墅区"),
    d(330106, "浙江省", "杭州市", "西湖区"),
    d(330108, "浙江省", "杭州市", "滨江区"),
    d(330109, "浙江省", "杭州市", "萧山区"),
    d(330110, "浙江省", "杭州市", "余杭区"),
    d(330111, "浙江省", "杭州市", "富阳区"),
    d(330112, "浙江省", "杭州市", "临安区"),
    d(330122, "浙江省", "杭州市", "桐庐县"),
    d(330127, "浙江省", "杭州市", "淳安县"),
    d(330203, "浙江省", "宁波市", "海曙区"),
    d(330205, "浙江省", "宁波市", "江北区"),
    d(330206, "浙江省", "宁波市", "北仑区"),
    d(330212, "浙江省", "宁波市", "鄞州区"),
    d(330281, "浙江省", "宁波市", "余姚市"),
    d(330282, "浙江省", "宁波市", "慈溪市"),
    d(330302, "浙江省", "温州市", "鹿城区"),
    d(330304, "浙江省", "温州市", "瓯海区"),
    d(330381, "浙江省", "温州市", "瑞安市"),
    d(330382, "浙江省", "温州市", "乐清市"),
    d(330402, "浙江省", "嘉兴市", "南湖区"),
    d(330481, "浙江省", "嘉兴市", "海宁市"),
    d(330483, "浙江省", "嘉兴市", "桐乡市"),
    d(330502, "浙江省", "湖州市", "吴兴区"),
    d(330522, "浙江省", "湖州市", "长兴县"),
    d(330602, "浙江省", "绍兴市", "越城区"),
    d(330603, "浙江省", "绍兴市", "柯桥区"),
    d(330681, "浙江省", "绍兴市", "诸暨市"),
    d(330702, "浙江省", "金华市", "婺城区"),
    d(330782, "浙江省", "金华市", "义乌市"),
    d(330783, "浙江省", "金华市", "东阳市"),
    d(330802, "浙江省", "衢州市", "柯城区"),
    d(330881, "浙江省", "衢州市", "江山市"),
    d(330902, "浙江省", "舟山市", "定海区"),
    d(331002, "浙江省", "台州市", "椒江区"),
    d(331081, "浙江省", "台州市", "温岭市"),
    d(331102, "浙江省", "丽水市", "莲都区"),
    d(331181, "浙江省", "丽水市", "龙泉市"),
    d(110101, "北京市", "", "东城区"),
    d(110105, "北京市", "", "朝阳区"),
    d(110108, "北京市", "", "海淀区"),
    d(310101, "上海市", "", "黄浦区"),
    d(310115, "上海市", "", "浦东新区"),
    d(320102, "江苏省", "南京市", "玄武区"),
    d(320505, "江苏省", "苏州市", "虎丘区"),
    d(340104, "安徽省", "合肥市", "蜀山区"),
    d(350102, "福建省", "福州市", "鼓楼区"),
    d(360102, "江西省", "南昌市", "东湖区"),
    d(370102, "山东省", "济南市", "历下区"),
    d(410105, "河南省", "郑州市", "金水区"),
    d(420106, "湖北省", "武汉市", "武昌区"),
    d(430104, "湖南省", "长沙市", "岳麓区"),
    d(440106, "广东省", "广州市", "天河区"),
    d(440305, "广东省", "深圳市", "南山区"),
    d(450103, "广西壮族自治区", "南宁市", "青秀区"),
    d(500103, "重庆市", "", "渝中区"),
    d(510107, "四川省", "成都市", "武侯区"),
    d(520102, "贵州省", "贵阳市", "南明区"),
    d(530102, "云南省", "昆明市", "五华区"),
    d(610113, "陕西省", "西安市", "雁塔区"),
    d(620102, "甘肃省", "兰州市", "城关区"),
    d(210102, "辽宁省", "沈阳市", "和平区"),
    d(230102, "黑龙江省", "哈尔滨市", "道里区"),
    d(130102, "河北省", "石家庄市", "长安区"),
];

/// Administrative-division suffixes that mark the end of a place name in an address.
pub const DIVISION_SUFFIXES: &[&str] = &[
    "省",
    "市",
    "区",
    "县",
    "旗",
    "自治州",
    "盟",
    "镇",
    "乡",
    "街道",
];

/// Street-level markers of a Chinese address (road, lane, number, building, unit, room ...).
pub const STREET_MARKERS: &[&str] = &[
    "路", "街", "道", "巷", "弄", "里", "号", "栋", "幢", "座", "单元", "室", "楼", "村", "组",
    "小区", "花园", "公寓", "大厦",
];

/// Suffixes of organization names: a company, an institution or a body.
pub const ORGANIZATION_SUFFIXES: &[&str] = &[
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "集团",
    "公司",
    "合作社",
    "事务所",
    "研究院",
    "研究所",
    "医院",
    "学校",
    "大学",
    "学院",
    "中学",
    "小学",
    "幼儿园",
    "银行",
    "支行",
    "分行",
    "委员会",
    "管理局",
    "局",
    "厅",
    "中心",
    "协会",
    "基金会",
    "工作室",
    "商行",
    "经营部",
    "门市部",
    "个体工商户",
];

/// Alphabet of Chinese licence plates after the province character: letters without I and O.
pub const PLATE_LETTERS: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";

/// The one-character province abbreviations that begin a licence plate.
pub const PLATE_PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_prefixes_are_sorted_for_binary_search() {
        assert!(MOBILE_PREFIXES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_mobile_prefix(138));
        assert!(!is_mobile_prefix(154));
    }

    #[test]
    fn district_codes_carry_their_province() {
        for d in DISTRICTS {
            let prov = d.code / 10_000;
            let name = PROVINCES
                .iter()
                .find(|p| u32::from(p.0) == prov)
                .map(|p| p.1);
            assert_eq!(name, Some(d.province), "{}", d.code);
        }
    }
}
