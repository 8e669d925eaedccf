//! Messages for the status bar: what finished, what failed and why. Errors and warnings also go to
//! stderr, so they are never only on screen, nor only in a terminal.

/// How many notices are kept.
const MAX_NOTICES: usize = 50;

/// A message shown in the status area.
#[derive(Clone, Debug)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// The latest notices, oldest first.
#[derive(Default)]
pub struct Notices {
    list: Vec<Notice>,
}

impl Notices {
    pub fn push(&mut self, level: NoticeLevel, text: impl Into<String>) {
        let text = text.into();
        match level {
            NoticeLevel::Error => eprintln!("[precordial error] {text}"),
            NoticeLevel::Warning => eprintln!("[precordial warning] {text}"),
            NoticeLevel::Info => {}
        }
        self.list.push(Notice { level, text });
        if self.list.len() > MAX_NOTICES {
            self.list.remove(0);
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Notice> {
        self.list.iter()
    }

    /// The newest notice, the one the status bar shows.
    pub fn last(&self) -> Option<&Notice> {
        self.list.last()
    }

    /// Dismisses the newest notice (the one shown), revealing the one before it.
    pub fn dismiss_last(&mut self) {
        self.list.pop();
    }
}
