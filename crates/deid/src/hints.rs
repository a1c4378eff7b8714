//! What a column's name says about it, in Chinese or English, where its values cannot.
//!
//! Diagnoses and incomes look like ordinary words and numbers; only the header tells a data
//! officer they are sensitive personal information (PIPL art. 28 lists health, finances,
//! religion, biometrics, whereabouts and minors' data).

/// Why a column is sensitive, if its name says so.
pub fn sensitive_hint(name: &str) -> Option<&'static str> {
    const WORDS: &[(&str, &str)] = &[
        ("diagnos", "health"),
        ("诊断", "health"),
        ("疾病", "health"),
        ("病史", "health"),
        ("病情", "health"),
        ("disease", "health"),
        ("medical", "health"),
        ("医疗", "health"),
        ("health", "health"),
        ("健康", "health"),
        ("药", "health"),
        ("income", "finances"),
        ("收入", "finances"),
        ("salary", "finances"),
        ("工资", "finances"),
        ("薪", "finances"),
        ("存款", "finances"),
        ("balance", "finances"),
        ("征信", "finances"),
        ("credit_score", "finances"),
        ("debt", "finances"),
        ("负债", "finances"),
        ("religion", "religion"),
        ("宗教", "religion"),
        ("信仰", "religion"),
        ("fingerprint", "biometrics"),
        ("指纹", "biometrics"),
        ("人脸", "biometrics"),
        ("face", "biometrics"),
        ("criminal", "criminal record"),
        ("犯罪", "criminal record"),
        ("违法", "criminal record"),
        ("前科", "criminal record"),
        ("trajectory", "whereabouts"),
        ("轨迹", "whereabouts"),
        ("行踪", "whereabouts"),
        ("sexual", "sex life"),
        ("性取向", "sex life"),
        ("ethnic", "ethnicity"),
        ("民族", "ethnicity"),
        ("disabilit", "health"),
        ("残疾", "health"),
    ];
    WORDS
        .iter()
        .find(|(w, _)| mentions(name, w))
        .map(|&(_, why)| why)
}

/// True when a column name says it holds a birth date rather than any date.
pub fn says_birth(name: &str) -> bool {
    ["birth", "dob", "出生", "生日"]
        .iter()
        .any(|w| mentions(name, w))
}

/// Why a column with no recognizable values is still a quasi-identifier, if its name says so.
pub fn quasi_hint(name: &str) -> Option<&'static str> {
    const WORDS: &[&str] = &[
        "age",
        "年龄",
        "occupation",
        "职业",
        "education",
        "学历",
        "marital",
        "婚姻",
        "zip",
        "邮编",
        "nationality",
        "国籍",
        "籍贯",
        "hukou",
        "户籍",
        "职务",
        "job",
    ];
    WORDS.iter().find(|w| mentions(name, w)).copied()
}

/// Chinese words match anywhere; English words match the start of a word, so `age` finds
/// `age_group` but not `message`.
fn mentions(name: &str, word: &str) -> bool {
    if !word.is_ascii() {
        return name.contains(word);
    }
    let lower = name.to_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|token| token.starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_both_languages_mark_sensitive_columns() {
        assert_eq!(sensitive_hint("diagnosis"), Some("health"));
        assert_eq!(sensitive_hint("年收入"), Some("finances"));
        assert_eq!(sensitive_hint("Annual_Income"), Some("finances"));
        assert_eq!(sensitive_hint("mobile"), None);
        assert!(says_birth("出生日期") && says_birth("Date_of_Birth") && !says_birth("visit_date"));
        assert_eq!(quasi_hint("age"), Some("age"));
        assert_eq!(quasi_hint("message"), None);
        assert_eq!(quasi_hint("患者年龄"), Some("年龄"));
    }
}
