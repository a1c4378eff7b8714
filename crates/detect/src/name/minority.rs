//! Names of ethnic minorities written without a middle dot (索朗次仁, 巴特尔, 沙马阿依): no
//! surname, so they are recognized as a run of the name elements their languages use, written in
//! the customary Chinese transliterations (redaction mode only).
//!
//! The elements are common knowledge of naming (Tibetan 扎西, 卓玛; Mongolian 巴特尔, 其其格; Uyghur
//! and Kazakh 阿依, 古丽, 买买提; Yi clan names 沙马, 吉克), written down here, not taken from a
//! list.

use super::Ctx;

/// Name elements, two or three characters each.
const ELEMENTS: &[&str] = &[
    // Tibetan.
    "扎西",
    "次仁",
    "卓玛",
    "达瓦",
    "尼玛",
    "边巴",
    "索朗",
    "旺堆",
    "格桑",
    "央金",
    "拉姆",
    "平措",
    "多吉",
    "顿珠",
    "德吉",
    "白玛",
    "洛桑",
    "丹增",
    "次旦",
    "普布",
    "巴桑",
    "米玛",
    "强巴",
    "曲珍",
    "益西",
    "群培",
    "旦增",
    "卓嘎",
    "措姆",
    "拉巴",
    "桑珠",
    "琼达",
    "贡嘎",
    "央宗",
    "仁增",
    "罗布",
    "旺姆",
    "次珍",
    "德庆",
    "加措",
    "嘉措",
    "泽仁",
    "才让",
    "卓玛",
    "拉珍",
    "旦巴",
    "巴珠",
    "贡布",
    "次措",
    "格列",
    "阿旺",
    "土登",
    "嘎玛",
    "仓决",
    "白珍",
    "玉珍",
    "多杰",
    "旺扎",
    "尼珍",
    "巴姆",
    // Mongolian.
    "巴特尔",
    "其其格",
    "萨仁",
    "图雅",
    "乌兰",
    "额尔敦",
    "宝音",
    "斯琴",
    "朝鲁",
    "格日勒",
    "苏和",
    "那仁",
    "娜仁",
    "阿拉坦",
    "巴雅尔",
    "孟和",
    "特木尔",
    "哈斯",
    "敖登",
    "乌云",
    "巴图",
    "满都拉",
    "额日和",
    "呼和",
    "毕力格",
    "其木格",
    "高娃",
    "托娅",
    "吉日嘎拉",
    "朝克",
    "巴音",
    "达来",
    "赛音",
    "布和",
    "阿拉腾",
    "图门",
    "苏日娜",
    "乌日娜",
    "包勒尔",
    "格根",
    "塔娜",
    "那日苏",
    "巴根",
    // Uyghur, Kazakh and other Turkic names.
    "阿依古丽",
    "古丽",
    "买买提",
    "艾力",
    "热依拉",
    "阿不都",
    "努尔",
    "吐尔逊",
    "艾买提",
    "热合曼",
    "阿力木",
    "迪丽",
    "帕提",
    "穆罕默德",
    "玉素甫",
    "依明",
    "麦麦提",
    "阿卜杜拉",
    "阿布都",
    "艾尔肯",
    "吾斯曼",
    "阿依",
    "娜扎",
    "热娜",
    "阿依努尔",
    "努尔兰",
    "叶尔兰",
    "哈力木",
    "巴合提",
    "加娜尔",
    "阿曼",
    "库尔班",
    "塔依尔",
    "吐逊",
    "沙吾提",
    "伊力",
    "亚森",
    "玉山",
    "阿吉",
    "米娜",
    "古丽娜尔",
    "阿斯哈尔",
    "别克",
    "达吾提",
    "热比亚",
    "帕丽旦",
    "努尔古丽",
    "阿迪力",
    "艾则孜",
    // Yi (clan name and given name).
    "沙马",
    "吉克",
    "阿牛",
    "木乃",
    "曲比",
    "阿西",
    "吉伍",
    "俄木",
    "勒格",
    "马海",
    "海来",
    "尔古",
    "日色",
    "阿苦",
    "吉木",
    "阿说",
    "瓦其",
    "俄尼",
    "尔哈",
    "阿呷",
    "拉布",
    "此惹",
    "阿约",
    "莫色",
];

/// The first two characters of every element, sorted: most positions fail this lookup before
/// any element is compared.
fn heads() -> &'static [[char; 2]] {
    static H: std::sync::OnceLock<Vec<[char; 2]>> = std::sync::OnceLock::new();
    H.get_or_init(|| super::pairs(ELEMENTS.iter().copied()))
}

/// The element starting at `rest`, longest first.
fn element(rest: &str) -> Option<usize> {
    let mut it = rest.chars();
    let head = [it.next()?, it.next()?];
    heads().binary_search(&head).ok()?;
    ELEMENTS
        .iter()
        .filter(|e| rest.starts_with(*e))
        .map(|e| e.len())
        .max()
}

/// A minority name starting at byte `pos`: two or more elements, or one element of three or
/// more characters, 3-8 characters in all. Returns its end.
pub(super) fn name_at(text: &str, pos: usize) -> Option<usize> {
    let mut end = pos;
    let mut parts = 0;
    while let Some(len) = element(&text[end..]) {
        if text[pos..end + len].chars().count() > 8 {
            break;
        }
        end += len;
        parts += 1;
    }
    let chars = text[pos..end].chars().count();
    let ok = match parts {
        0 => false,
        1 => chars >= 3,
        _ => chars >= 3,
    };
    ok.then_some(end)
}

/// The first characters of the elements, for a bit-set test before [`name_at`].
pub(super) fn first_chars() -> String {
    ELEMENTS.iter().filter_map(|e| e.chars().next()).collect()
}

/// Whether a minority name with this context is taken: a trigger before it, or a boundary on
/// both sides.
pub(super) fn accept(left: Ctx, right: Ctx) -> bool {
    match (left, right) {
        (Ctx::Trigger, _) => true,
        (Ctx::Boundary, Ctx::None) | (Ctx::None, _) => false,
        (Ctx::Boundary, _) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_runs() {
        let t = "索朗次仁反映";
        assert_eq!(name_at(t, 0).map(|e| &t[..e]), Some("索朗次仁"));
        let t = "巴特尔（蒙古族）";
        assert_eq!(name_at(t, 0).map(|e| &t[..e]), Some("巴特尔"));
        assert_eq!(name_at("乌兰察布", 0), None);
        assert_eq!(name_at("扎西", 0), None);
    }
}
