//! `encrypt_fpe`: format-preserving encryption (FF1). Being written.
