//! Per-city facts the generator needs beyond facts::DISTRICTS: telephone area code, plate letter.

use pubdata_detect::facts::District;

/// Long-distance area code (without the leading 0 trunk prefix kept), licence-plate letter and
/// the first four digits of the postal codes of a city (its main post office's code, China
/// Post's allocation), so that a generated address, phone, plate and postal code agree.
pub struct CityFacts {
    pub area_code: &'static str,
    pub plate_letter: char,
    pub postal: &'static str,
}

/// Telephone area code, plate letter and postal prefix for the city of `d`; municipalities use
/// the province.
pub fn city_facts(d: &District) -> CityFacts {
    let key = if d.city.is_empty() {
        d.province
    } else {
        d.city
    };
    let (area_code, plate_letter, postal) = match key {
        "杭州市" => ("0571", 'A', "3100"),
        "宁波市" => ("0574", 'B', "3150"),
        "温州市" => ("0577", 'C', "3250"),
        "绍兴市" => ("0575", 'D', "3120"),
        "湖州市" => ("0572", 'E', "3130"),
        "嘉兴市" => ("0573", 'F', "3140"),
        "金华市" => ("0579", 'G', "3210"),
        "衢州市" => ("0570", 'H', "3240"),
        "台州市" => ("0576", 'J', "3180"),
        "丽水市" => ("0578", 'K', "3230"),
        "舟山市" => ("0580", 'L', "3160"),
        "北京市" => ("010", 'N', "1000"),
        "上海市" => ("021", 'B', "2000"),
        "重庆市" => ("023", 'A', "4000"),
        "南京市" => ("025", 'A', "2100"),
        "苏州市" => ("0512", 'E', "2150"),
        "合肥市" => ("0551", 'A', "2300"),
        "福州市" => ("0591", 'A', "3500"),
        "南昌市" => ("0791", 'A', "3300"),
        "济南市" => ("0531", 'A', "2500"),
        "郑州市" => ("0371", 'A', "4500"),
        "武汉市" => ("027", 'A', "4300"),
        "长沙市" => ("0731", 'A', "4100"),
        "广州市" => ("020", 'A', "5100"),
        "深圳市" => ("0755", 'B', "5180"),
        "南宁市" => ("0771", 'A', "5300"),
        "成都市" => ("028", 'A', "6100"),
        "贵阳市" => ("0851", 'A', "5500"),
        "昆明市" => ("0871", 'A', "6500"),
        "西安市" => ("029", 'A', "7100"),
        "兰州市" => ("0931", 'A', "7300"),
        "沈阳市" => ("024", 'A', "1100"),
        "哈尔滨市" => ("0451", 'A', "1500"),
        "石家庄市" => ("0311", 'A', "0500"),
        _ => ("0571", 'A', "3100"),
    };
    CityFacts {
        area_code,
        plate_letter,
        postal,
    }
}

/// Licence-plate province character for a province-level code.
pub fn plate_province(code: u32) -> char {
    match code {
        11 => '京',
        12 => '津',
        13 => '冀',
        14 => '晋',
        15 => '蒙',
        21 => '辽',
        22 => '吉',
        23 => '黑',
        31 => '沪',
        32 => '苏',
        33 => '浙',
        34 => '皖',
        35 => '闽',
        36 => '赣',
        37 => '鲁',
        41 => '豫',
        42 => '鄂',
        43 => '湘',
        44 => '粤',
        45 => '桂',
        46 => '琼',
        50 => '渝',
        51 => '川',
        52 => '贵',
        53 => '云',
        54 => '藏',
        61 => '陕',
        62 => '甘',
        63 => '青',
        64 => '宁',
        65 => '新',
        _ => '浙',
    }
}

/// First two digits of the postal codes of a province's capital region (China Post's
/// allocation): the check that each city's range lies in its province's postal region.
#[cfg(test)]
pub fn postal_prefix(code: u32) -> &'static str {
    match code {
        11 => "10",
        12 => "30",
        13 => "05",
        14 => "03",
        15 => "01",
        21 => "11",
        22 => "13",
        23 => "15",
        31 => "20",
        32 => "21",
        33 => "31",
        34 => "23",
        35 => "35",
        36 => "33",
        37 => "25",
        41 => "45",
        42 => "43",
        43 => "41",
        44 => "51",
        45 => "53",
        46 => "57",
        50 => "40",
        51 => "61",
        52 => "55",
        53 => "65",
        54 => "85",
        61 => "71",
        62 => "73",
        63 => "81",
        64 => "75",
        65 => "83",
        _ => "31",
    }
}

/// Road names common to Chinese cities.
pub const ROADS: &[&str] = &[
    "文三路",
    "延安路",
    "解放路",
    "中山路",
    "人民路",
    "建设路",
    "学院路",
    "滨江路",
    "湖滨路",
    "新华路",
    "朝阳路",
    "长江路",
    "和平路",
    "迎宾大道",
    "体育场路",
    "环城北路",
    "庆春路",
    "天目山路",
    "江南大道",
    "钱江路",
    "世纪大道",
    "胜利街",
    "光明街",
    "丰收路",
    "青年路",
    "工人路",
    "东风路",
    "振兴路",
];

/// Residential compound names.
pub const COMPOUNDS: &[&str] = &[
    "阳光花园",
    "翠苑一区",
    "桂花城",
    "金色家园",
    "和谐家园",
    "新城公寓",
    "绿城小区",
    "东方名苑",
    "紫金花园",
    "锦绣华庭",
    "湖畔居",
    "枫林小区",
];

/// Words for company names.
pub const COMPANY_WORDS: &[&str] = &[
    "华泰", "恒信", "瑞丰", "宏达", "东方", "新元", "中科", "天成", "鑫源", "博远", "联创", "嘉禾",
    "星辰", "汇通", "安澜", "正和", "锦程", "兴业", "云帆", "明德",
];

/// Industries for company names.
pub const INDUSTRIES: &[&str] = &[
    "科技",
    "贸易",
    "建设工程",
    "物流",
    "餐饮管理",
    "信息技术",
    "医药",
    "电子商务",
    "机械制造",
    "文化传媒",
    "环保科技",
    "食品",
    "纺织",
    "新能源",
];

/// Diagnoses (sensitive health information).
pub const DIAGNOSES: &[&str] = &[
    "高血压",
    "2型糖尿病",
    "冠心病",
    "慢性胃炎",
    "支气管哮喘",
    "抑郁症",
    "腰椎间盘突出症",
    "甲状腺结节",
    "慢性乙型病毒性肝炎",
    "骨关节炎",
    "过敏性鼻炎",
    "无",
];

/// Email domains.
pub const EMAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "foxmail.com",
    "outlook.com",
    "gmail.com",
    "aliyun.com",
];
