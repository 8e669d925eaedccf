//! One way for long library work (assembling a dataset, evaluating, training) to say how far it
//! is, and to learn that its caller wants it to stop. The command line's progress bars and the
//! workbench's worker jobs implement [`Progress`]; the library only calls it.
//!
//! Not for: drawing anything, or deciding what a stop means (each caller stops at its own safe
//! points: between records, training steps or stages).

/// What long work reports, and how its caller stops it.
pub trait Progress {
    /// What the work is doing now, in one line.
    fn message(&mut self, text: &str);

    /// How much of the work is done, in [0, 1]. Approximate: stages are weighted by their usual
    /// cost.
    fn fraction(&mut self, _done: f32) {}

    /// Polled at the work's safe points: `true` asks it to stop there.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Any `FnMut(&str)` takes the messages (and never stops the work).
impl<F: FnMut(&str)> Progress for F {
    fn message(&mut self, text: &str) {
        self(text)
    }
}

/// Progress that reports nothing and never stops (tests, and work nobody watches).
pub struct Silent;

impl Progress for Silent {
    fn message(&mut self, _: &str) {}
}

/// A part of some larger work, `from..to` of its parent's fraction: the part reports its own 0..1,
/// and is stopped when the parent is.
pub struct Span<'a> {
    parent: &'a mut dyn Progress,
    from: f32,
    to: f32,
}

impl<'a> Span<'a> {
    pub fn new(parent: &'a mut dyn Progress, from: f32, to: f32) -> Self {
        Self { parent, from, to }
    }
}

impl Progress for Span<'_> {
    fn message(&mut self, text: &str) {
        self.parent.message(text);
    }

    fn fraction(&mut self, done: f32) {
        let done = if done.is_finite() {
            done.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.parent
            .fraction(self.from + (self.to - self.from) * done);
    }

    fn cancelled(&self) -> bool {
        self.parent.cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        messages: Vec<String>,
        fractions: Vec<f32>,
        stop: bool,
    }

    impl Progress for Recorder {
        fn message(&mut self, text: &str) {
            self.messages.push(text.to_owned());
        }
        fn fraction(&mut self, done: f32) {
            self.fractions.push(done);
        }
        fn cancelled(&self) -> bool {
            self.stop
        }
    }

    #[test]
    fn a_span_maps_its_fraction_into_the_parents_and_shares_its_stop() {
        let mut parent = Recorder::default();
        {
            let mut span = Span::new(&mut parent, 0.2, 0.6);
            span.fraction(0.0);
            span.fraction(0.5);
            span.fraction(2.0);
            span.message("loading");
            assert!(!span.cancelled());
        }
        let want = [0.2, 0.4, 0.6];
        assert_eq!(parent.fractions.len(), want.len());
        for (got, want) in parent.fractions.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{:?}", parent.fractions);
        }
        assert_eq!(parent.messages, ["loading"]);
        parent.stop = true;
        assert!(Span::new(&mut parent, 0.0, 1.0).cancelled());
    }

    #[test]
    fn a_closure_takes_messages_and_never_stops() {
        let mut seen = Vec::new();
        let mut progress = |text: &str| seen.push(text.to_owned());
        progress.message("one");
        assert!(!Progress::cancelled(&progress));
        assert_eq!(seen, ["one"]);
    }
}
