//! The language of every message the installer prints: Japanese for trainees whose `LANG` starts
//! with `ja`, English otherwise. Texts live next to the code that prints them, as `lang.pick(en, ja)`
//! pairs, so that a message and its translation cannot drift apart.

/// A language the installer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 日本語.
    Ja,
    /// English.
    En,
}

impl Lang {
    /// The language a `LANG`-style locale (`ja_JP.UTF-8`, `C.UTF-8`, unset) asks for.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(locale) if locale.starts_with("ja") => Lang::Ja,
            _ => Lang::En,
        }
    }

    /// The language of this process' environment: `LC_ALL`, then `LC_MESSAGES`, then `LANG`, as
    /// gettext reads them.
    pub fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty());
        Lang::from_locale(locale.as_deref())
    }

    /// `en` or `ja`, whichever this language is.
    pub fn pick<'a>(self, en: &'a str, ja: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn japanese_only_for_ja_locales() {
        assert_eq!(Lang::from_locale(Some("ja_JP.UTF-8")), Lang::Ja);
        assert_eq!(Lang::from_locale(Some("ja")), Lang::Ja);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(Some("C.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
    }
}
