//! The step list the installer prints: a spinner per step on a terminal, plain lines otherwise
//! (logs, CI, tests), so that the output reads the same in both.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::msg::Lang;

/// Where steps are shown.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// The language of the messages.
    pub lang: Lang,
    tty: bool,
}

/// One running step; finish it with [`Step::done`], [`Step::skip`] or [`Step::fail`].
#[derive(Debug)]
pub struct Step {
    bar: Option<ProgressBar>,
    title: String,
}

impl Ui {
    /// Spinners when stdout is a terminal.
    pub fn new(lang: Lang) -> Ui {
        Ui {
            lang,
            tty: std::io::stdout().is_terminal(),
        }
    }

    /// `en` or `ja`, whichever the user reads.
    pub fn pick<'a>(&self, en: &'a str, ja: &'a str) -> &'a str {
        self.lang.pick(en, ja)
    }

    /// Starts a step titled `en` / `ja`.
    pub fn step(&self, en: &str, ja: &str) -> Step {
        let title = self.pick(en, ja).to_owned();
        if self.tty {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} {wide_msg}")
                    .expect("a valid template"),
            );
            bar.set_prefix(title.clone());
            bar.enable_steady_tick(Duration::from_millis(100));
            Step {
                bar: Some(bar),
                title,
            }
        } else {
            println!("- {title}");
            Step { bar: None, title }
        }
    }

    /// A line of its own (a note, a URL, a diff).
    pub fn line(&self, text: &str) {
        println!("{text}");
    }
}

impl Step {
    /// Shows progress within the step (spinner only; plain output prints only changes worth a
    /// line, via [`Step::note`]).
    pub fn progress(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_owned());
        }
    }

    /// A line worth keeping in a log: printed in both modes.
    pub fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("    {text}")),
            None => println!("    {text}"),
        }
    }

    /// Finishes with success.
    pub fn done(&self, text: &str) {
        self.finish("✔", text);
    }

    /// Finishes without doing anything (nothing to do, or not asked for).
    pub fn skip(&self, text: &str) {
        self.finish("·", text);
    }

    /// Finishes with a failure; the error itself is printed by the caller.
    pub fn fail(&self, text: &str) {
        self.finish("✘", text);
    }

    fn finish(&self, mark: &str, text: &str) {
        let line = if text.is_empty() {
            format!("{mark} {}", self.title)
        } else {
            format!("{mark} {}: {text}", self.title)
        };
        match &self.bar {
            Some(bar) => {
                bar.finish_and_clear();
                println!("{line}");
            }
            None => println!("  {line}"),
        }
    }
}
