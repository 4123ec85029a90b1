//! The checker of the portable subset (the grammar is in the [parent module's
//! docs](super)): a recursive descent over the pattern's bytes that refuses the first
//! construct outside the subset, with its byte offset and the reason in words.

/// A refusal: byte offset and reason.
pub(super) type Refusal = (usize, String);

/// Deepest nesting of groups accepted (bounds the recursion).
const MAX_DEPTH: usize = 32;
/// Largest count of a `{n}`, `{n,}` or `{n,m}` quantifier accepted.
const MAX_REPEAT: u32 = 1000;

/// Checks that `pattern` is in the portable subset.
pub(super) fn check(pattern: &str) -> Result<(), Refusal> {
    if let Some((at, c)) = pattern.char_indices().find(|(_, c)| !c.is_ascii()) {
        return Err((at, format!("{c:?} is not ASCII (the engines' Unicode handling differs; only ASCII patterns are portable)")));
    }
    let mut parser = Parser {
        bytes: pattern.as_bytes(),
        pos: 0,
        depth: 0,
        quantified_groups: 0,
    };
    parser.disjunction()?;
    match parser.peek() {
        None => Ok(()),
        Some(_) => Err(parser.refuse("an unmatched `)`")),
    }
}

/// A quantifier's kind: counted (`{..}`), whether it allows zero repetitions, and whether
/// it allows more than one (`*`, `+`, and the counted ones).
#[derive(Debug, Clone, Copy)]
struct Quantifier {
    counted: bool,
    min_zero: bool,
    repeats: bool,
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// How many quantified groups were read so far (tells whether a group holds one).
    quantified_groups: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn refuse(&self, reason: &str) -> Refusal {
        (self.pos, reason.to_owned())
    }

    /// `alternative ('|' alternative)*`; `Ok(true)` when it can match the empty string.
    fn disjunction(&mut self) -> Result<bool, Refusal> {
        let mut nullable = self.alternative()?;
        while self.eat(b'|') {
            nullable |= self.alternative()?;
        }
        Ok(nullable)
    }

    /// One or more terms, up to `|`, `)` or the end; `Ok(true)` when it can match the empty
    /// string.
    fn alternative(&mut self) -> Result<bool, Refusal> {
        let start = self.pos;
        let mut nullable = true;
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            nullable &= self.term()?;
        }
        if self.pos == start {
            return Err(self.refuse(
                "an empty alternative or group (not portable; make the part optional with `?`)",
            ));
        }
        Ok(nullable)
    }

    /// An anchor, or an atom with an optional quantifier; `Ok(true)` when it can match the
    /// empty string.
    fn term(&mut self) -> Result<bool, Refusal> {
        if self.eat(b'^') || self.eat(b'$') {
            if matches!(self.peek(), Some(b'*' | b'+' | b'?' | b'{')) {
                return Err(self.refuse("a quantifier after an anchor (`^` and `$` cannot repeat)"));
            }
            return Ok(true);
        }
        let quantified_groups_before = self.quantified_groups;
        let group = self.atom()?;
        let holds_quantified_group = self.quantified_groups > quantified_groups_before;
        let at = self.pos;
        let Some(quantifier) = self.quantifier()? else {
            return Ok(group == Some(true));
        };
        if group.is_some() {
            self.quantified_groups += 1;
        }
        match group {
            Some(_) if quantifier.counted => Err((at, "a counted quantifier `{n}`, `{n,}` or `{n,m}` on a group is not portable (regress, the ECMAScript engine of the lints, evaluates some such nestings wrongly or without end); repeat a character or class, or use `?`, `*` or `+` on the group".into())),
            Some(_) if quantifier.repeats && holds_quantified_group => Err((at, "`*` or `+` on a group that holds a quantified group is not portable (regress, the ECMAScript engine of the lints, misses matches of such nestings: `((\\D+)+)+\\D` on `aa`); use `?` on the outer group, or repeat without nesting".into())),
            Some(true) => Err((at, "a quantifier on a group that can match the empty string is not portable (ECMAScript's rule for empty iterations; regress loops without end on some); make the group's content non-empty".into())),
            _ => Ok(quantifier.min_zero),
        }
    }

    /// An atom: `Some(can match the empty string)` for a group, `None` otherwise.
    fn atom(&mut self) -> Result<Option<bool>, Refusal> {
        let Some(c) = self.peek() else {
            return Err(self.refuse("the pattern ends where an atom was expected"));
        };
        match c {
            b'(' => self.group().map(Some),
            b'[' => self.class().map(|()| None),
            b'\\' => self.escape(false).map(|_| None),
            b'.' => Err(self.refuse(
                "`.` is not portable (ECMAScript's excludes `\\r`, `\\u2028` and `\\u2029`, regex-lite's only `\\n`); use a class of the characters meant, such as `[^/]`",
            )),
            b'*' | b'+' | b'?' | b'{' => Err(self.refuse(
                "a quantifier with nothing to repeat (escape a literal `*`, `+`, `?` or `{` with `\\`)",
            )),
            b']' | b'}' => Err(self.refuse("a literal `]` or `}` must be escaped with `\\`")),
            c if c.is_ascii_graphic() || c == b' ' => {
                self.pos += 1;
                Ok(None)
            }
            _ => Err(self.refuse("a control character (write no raw control characters)")),
        }
    }

    /// `(` or `(?:`, a disjunction, `)`; `Ok(true)` when it can match the empty string.
    fn group(&mut self) -> Result<bool, Refusal> {
        self.pos += 1;
        if self.peek() == Some(b'?') {
            let reason = match (self.peek_at(1), self.peek_at(2)) {
                (Some(b':'), _) => None,
                (Some(b'=' | b'!'), _) => {
                    Some("lookahead `(?=`/`(?!` is not portable (regex-lite has no lookaround)")
                }
                (Some(b'<'), Some(b'=' | b'!')) => {
                    Some("lookbehind `(?<=`/`(?<!` is not portable (regex-lite has no lookaround)")
                }
                (Some(b'<' | b'P'), _) => {
                    Some("named groups are not portable (the syntaxes differ); use `(?:` or `(`")
                }
                _ => Some("inline flags `(?...)` are not portable (ECMAScript has none)"),
            };
            if let Some(reason) = reason {
                return Err(self.refuse(reason));
            }
            self.pos += 2;
        }
        if self.depth == MAX_DEPTH {
            return Err(self.refuse("groups nested more than 32 deep"));
        }
        self.depth += 1;
        let nullable = self.disjunction()?;
        self.depth -= 1;
        if !self.eat(b')') {
            return Err(self.refuse("an unclosed group: `)` expected"));
        }
        Ok(nullable)
    }

    /// An optional `* + ? {n} {n,} {n,m}`, optionally lazy; no second quantifier after it.
    fn quantifier(&mut self) -> Result<Option<Quantifier>, Refusal> {
        let quantifier = match self.peek() {
            Some(c @ (b'*' | b'+' | b'?')) => {
                self.pos += 1;
                Quantifier {
                    counted: false,
                    min_zero: c != b'+',
                    repeats: c != b'?',
                }
            }
            // A counted quantifier is refused on a group before `repeats` matters.
            Some(b'{') => Quantifier {
                counted: true,
                min_zero: self.counted()? == 0,
                repeats: true,
            },
            _ => return Ok(None),
        };
        self.eat(b'?');
        if matches!(self.peek(), Some(b'*' | b'+' | b'?' | b'{')) {
            return Err(self.refuse(
                "a quantifier after a quantifier (ECMAScript refuses it; group the repeated part)",
            ));
        }
        Ok(Some(quantifier))
    }

    /// `{n}`, `{n,}` or `{n,m}` with `n <= m <= 1000`, `m > 0`; `n`.
    fn counted(&mut self) -> Result<u32, Refusal> {
        let start = self.pos;
        self.pos += 1;
        let min = self.count(start)?;
        let max = if self.eat(b',') {
            if self.peek() == Some(b'}') {
                None
            } else {
                Some(self.count(start)?)
            }
        } else {
            Some(min)
        };
        if !self.eat(b'}') {
            return Err((
                start,
                "`{` must be a quantifier `{n}`, `{n,}` or `{n,m}` (escape a literal `{` as `\\{`)"
                    .into(),
            ));
        }
        if max == Some(0) {
            return Err((
                start,
                "a quantifier with maximum 0 (it removes its atom; delete both)".into(),
            ));
        }
        if max.is_some_and(|max| max < min) {
            return Err((
                start,
                format!("the quantifier's maximum is below its minimum {min}"),
            ));
        }
        Ok(min)
    }

    /// A decimal count of at most [`MAX_REPEAT`].
    fn count(&mut self, start: usize) -> Result<u32, Refusal> {
        let digits = self.bytes[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let text = &self.bytes[self.pos..self.pos + digits];
        self.pos += digits;
        let value = text.iter().try_fold(0u32, |n, d| {
            n.checked_mul(10)
                .map(|n| n + u32::from(d - b'0'))
                .filter(|n| *n <= MAX_REPEAT)
        });
        match value {
            _ if digits == 0 => Err((
                start,
                "`{` must be a quantifier `{n}`, `{n,}` or `{n,m}` (escape a literal `{` as `\\{`)"
                    .into(),
            )),
            Some(value) => Ok(value),
            None => Err((start, format!("a quantifier count above {MAX_REPEAT}"))),
        }
    }
}

/// What an escape or a class member stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    /// One character.
    Char(u8),
    /// `\d`, `\D`, `\w` or `\W`.
    Set,
}

impl Parser<'_> {
    /// `\` and what follows (in a class when `in_class`).
    fn escape(&mut self, in_class: bool) -> Result<Member, Refusal> {
        let Some(c) = self.peek_at(1) else {
            return Err(self.refuse("a trailing `\\`"));
        };
        let reason = match c {
            b'd' | b'D' | b'w' | b'W' => {
                self.pos += 2;
                return Ok(Member::Set);
            }
            b'<' | b'>' => "`\\<` and `\\>` are not portable (word boundaries in regex-lite, literals in ECMAScript); write `<` or `>`",
            c if c.is_ascii_punctuation() => {
                self.pos += 2;
                return Ok(Member::Char(c));
            }
            b's' | b'S' => "`\\s` and `\\S` are not portable (ECMAScript's include Unicode spaces and line terminators, regex-lite's only ASCII ones); list the characters in a class",
            b'b' if in_class => "`\\b` in a class is not portable (a backspace in ECMAScript, an error in regex-lite)",
            b'b' | b'B' => "word boundaries `\\b` and `\\B` are not portable (regex-lite's are Unicode-aware, ECMAScript's ASCII)",
            b'u' | b'x' => "`\\u` and `\\x` escapes are not portable (their syntaxes differ); write the ASCII character",
            b'1'..=b'9' => "backreferences are not portable (regex-lite has none)",
            b'k' => "named backreferences `\\k<...>` are not portable (regex-lite has none)",
            b'p' | b'P' => "Unicode property escapes `\\p` and `\\P` are not portable (ECMAScript needs the `u` flag for them)",
            b'0' | b'c' | b'n' | b'r' | b't' | b'f' | b'v' => "control character escapes (`\\n`, `\\t`, `\\0`, `\\cX`, ...) are outside the portable subset",
            _ => "this escape is not portable (only `\\d \\D \\w \\W` and escaped ASCII punctuation are)",
        };
        Err(self.refuse(reason))
    }

    /// `[`, an optional `^`, one or more members, `]`.
    fn class(&mut self) -> Result<(), Refusal> {
        let open = self.pos;
        self.pos += 1;
        self.eat(b'^');
        if self.peek() == Some(b']') {
            return Err(self.refuse("an empty class `[]` or `[^]` is not portable (ECMAScript matches nothing or anything, regex-lite reads the `]` as a literal)"));
        }
        let first = self.pos;
        loop {
            match self.peek() {
                None => return Err((open, "an unclosed class: `]` expected".into())),
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'-') if self.pos == first || self.peek_at(1) == Some(b']') => self.pos += 1,
                Some(b'-') => return Err(self.refuse("a `-` in a class that is neither first, last nor a range (escape a literal `-` as `\\-`)")),
                Some(_) => self.class_item()?,
            }
        }
    }

    /// A member, or a range `low-high` between two single characters, `low <= high`.
    fn class_item(&mut self) -> Result<(), Refusal> {
        let start = self.pos;
        let low = self.class_member()?;
        if self.peek() != Some(b'-') || matches!(self.peek_at(1), Some(b']') | None) {
            return Ok(());
        }
        self.pos += 1;
        match (low, self.class_member()?) {
            (Member::Char(low), Member::Char(high)) if low <= high => Ok(()),
            (Member::Char(_), Member::Char(_)) => Err((start, "a range whose start is above its end".into())),
            _ => Err((start, "a range with `\\d`, `\\D`, `\\w` or `\\W` at an end is not portable (an error in regex-lite, literals in ECMAScript)".into())),
        }
    }

    /// One character or escape inside a class.
    fn class_member(&mut self) -> Result<Member, Refusal> {
        let reason = match self.peek() {
            None => "an unclosed class: `]` expected",
            Some(b'\\') => return self.escape(true),
            Some(b'[') => "a `[` in a class is not portable (a nested class in regex-lite, a literal in ECMAScript); escape it as `\\[`",
            Some(b'^') => "a `^` in a class that is not first (escape a literal `^` as `\\^`)",
            Some(b'-') => "`--` in a class is not portable (a set difference in regex-lite); escape a literal `-` as `\\-`",
            Some(b']') => "a range without an end",
            Some(c @ (b'&' | b'~')) if self.peek_at(1) == Some(c) => "`&&` and `~~` in a class are not portable (set operations in regex-lite); escape a literal one as `\\&` or `\\~`",
            Some(c) if c.is_ascii_graphic() || c == b' ' => {
                self.pos += 1;
                return Ok(Member::Char(c));
            }
            Some(_) => "a control character (write no raw control characters)",
        };
        Err(self.refuse(reason))
    }
}
