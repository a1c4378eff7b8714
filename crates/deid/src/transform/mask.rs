//! `mask`: keep the first and last characters, replace the rest (`138****5678`).

use arrow_array::{Array, StringArray, builder::StringBuilder};

/// Masks one value by characters (not bytes, so Chinese text masks correctly). A value too short
/// to keep both ends and still hide something is masked whole: masking never reveals a value.
pub fn mask_value(
    value: &str,
    keep_first: usize,
    keep_last: usize,
    mask_char: char,
    out: &mut String,
) {
    let n = value.chars().count();
    out.clear();
    if keep_first + keep_last >= n {
        out.extend(std::iter::repeat_n(mask_char, n));
        return;
    }
    for (i, c) in value.chars().enumerate() {
        out.push(if i < keep_first || i >= n - keep_last {
            c
        } else {
            mask_char
        });
    }
}

/// Masks every value of a column.
pub fn mask(
    values: &StringArray,
    keep_first: usize,
    keep_last: usize,
    mask_char: char,
) -> StringArray {
    let mut out =
        StringBuilder::with_capacity(values.len(), values.value_data().len() + values.len());
    let mut buf = String::new();
    for v in values.iter() {
        match v {
            Some(v) => {
                mask_value(v, keep_first, keep_last, mask_char, &mut buf);
                out.append_value(&buf);
            }
            None => out.append_null(),
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(v: &str, f: usize, l: usize) -> String {
        let mut s = String::new();
        mask_value(v, f, l, '*', &mut s);
        s
    }

    #[test]
    fn phones_ids_and_names_mask_as_officers_expect() {
        assert_eq!(m("13812345678", 3, 4), "138****5678");
        assert_eq!(m("330106199001011234", 6, 4), "330106********1234");
        assert_eq!(m("张伟", 1, 0), "张*");
        assert_eq!(m("欧阳娜娜", 1, 0), "欧***");
    }

    #[test]
    fn short_values_are_masked_whole() {
        assert_eq!(m("1234", 3, 4), "****");
        assert_eq!(m("王", 1, 0), "*");
        assert_eq!(m("", 1, 1), "");
    }

    #[test]
    fn nulls_stay_null() {
        let out = mask(
            &StringArray::from(vec![Some("13812345678"), None]),
            3,
            4,
            '#',
        );
        assert_eq!(out.value(0), "138####5678");
        assert!(out.is_null(1));
    }

    proptest! {
        #[test]
        fn masking_keeps_length_and_ends_and_hides_the_middle(v in "\\PC{0,40}", f in 0usize..6, l in 0usize..6) {
            let out = m(&v, f, l);
            let (vc, oc): (Vec<char>, Vec<char>) = (v.chars().collect(), out.chars().collect());
            prop_assert_eq!(vc.len(), oc.len());
            if f + l >= vc.len() {
                prop_assert!(oc.iter().all(|&c| c == '*'));
            } else {
                prop_assert_eq!(&oc[..f], &vc[..f]);
                prop_assert_eq!(&oc[vc.len() - l..], &vc[vc.len() - l..]);
                prop_assert!(oc[f..vc.len() - l].iter().all(|&c| c == '*'));
            }
        }
    }
}
